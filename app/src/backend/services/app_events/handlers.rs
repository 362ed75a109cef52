//! Where an app's event handler may be: an absolute web URL whose host resolves only to
//! public addresses, unless the server's admin allows private ones.

use super::*;

/// IPv4 blocks of IANA's special-purpose address registry that are not globally
/// reachable (RFC 6890 and its updates), and multicast and broadcast.
pub(super) const V4_SPECIAL: &[&str] = &[
    "0.0.0.0/8",       // this network
    "10.0.0.0/8",      // private use
    "100.64.0.0/10",   // shared address space (CGNAT)
    "127.0.0.0/8",     // loopback
    "169.254.0.0/16",  // link local
    "172.16.0.0/12",   // private use
    "192.0.0.0/24",    // IETF protocol assignments
    "192.0.2.0/24",    // documentation (TEST-NET-1)
    "192.31.196.0/24", // AS112-v4
    "192.52.193.0/24", // AMT
    "192.88.99.0/24",  // deprecated 6to4 relay anycast
    "192.168.0.0/16",  // private use
    "192.175.48.0/24", // direct delegation AS112 service
    "198.18.0.0/15",   // benchmarking
    "198.51.100.0/24", // documentation (TEST-NET-2)
    "203.0.113.0/24",  // documentation (TEST-NET-3)
    "224.0.0.0/4",     // multicast
    "240.0.0.0/4",     // reserved, and the limited broadcast address
];

/// IPv6: only global unicast (`2000::/3`) can be public; within it, these blocks of
/// IANA's special-purpose registry are not (or embed an IPv4 address that would
/// escape the IPv4 rules).
pub(super) const V6_GLOBAL: &str = "2000::/3";
pub(super) const V6_SPECIAL: &[&str] = &[
    "2001::/23",         // IETF protocol assignments (Teredo, benchmarking, ORCHID…)
    "2001:db8::/32",     // documentation
    "2002::/16",         // 6to4 (embeds an IPv4 address)
    "2620:4f:8000::/48", // direct delegation AS112 service
    "3fff::/20",         // documentation
];

pub(super) fn parsed(blocks: &[&str]) -> Vec<ipnet::IpNet> {
    blocks.iter().filter_map(|b| b.parse().ok()).collect()
}

/// Whether events may go to `ip` without the admin's permission: only addresses IANA's
/// special-purpose registries leave globally reachable. Outside `2000::/3` no IPv6
/// address is (loopback, IPv4-compatible `::a.b.c.d`, IPv4-translated
/// `::ffff:0:a.b.c.d`, NAT64, discard, unique local, link and site local, multicast);
/// an IPv4-mapped address is judged as the IPv4 address it carries.
pub fn is_public(ip: IpAddr) -> bool {
    static V4: std::sync::OnceLock<Vec<ipnet::IpNet>> = std::sync::OnceLock::new();
    static V6: std::sync::OnceLock<Vec<ipnet::IpNet>> = std::sync::OnceLock::new();
    match ip {
        IpAddr::V4(_) => !V4
            .get_or_init(|| parsed(V4_SPECIAL))
            .iter()
            .any(|n| n.contains(&ip)),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let global: ipnet::IpNet = V6_GLOBAL.parse().expect("a valid block");
            global.contains(&ip)
                && !V6
                    .get_or_init(|| parsed(V6_SPECIAL))
                    .iter()
                    .any(|n| n.contains(&ip))
        }
    }
}

/// Why a handler URL is refused (English: REST errors are English).
pub fn handler_problem(raw: &str) -> Option<&'static str> {
    let Ok(u) = url::Url::parse(raw.trim()) else {
        return Some("handler must be an absolute http(s) URL");
    };
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none_or(str::is_empty) {
        return Some("handler must be an absolute http(s) URL");
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Some("handler must not carry a user name or password");
    }
    if raw.len() > 2000 {
        return Some("handler is longer than 2,000 characters");
    }
    None
}

/// The addresses `url` resolves to, all of them public unless `allow_private`; the
/// delivery connects to exactly these (no second lookup an attacker's DNS could change).
pub async fn resolve_handler(url: &url::Url, allow_private: bool) -> Result<Vec<SocketAddr>, String> {
    let host = url.host_str().ok_or("the handler has no host")?;
    let port = url.port_or_known_default().ok_or("the handler has no port")?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::time::timeout(
            std::time::Duration::from_secs(5),
            tokio::net::lookup_host((host, port)),
        )
        .await
        .map_err(|_| "the handler's host name did not resolve in time".to_string())?
        .map_err(|_| "the handler's host name does not resolve".to_string())?
        .collect(),
    };
    if addrs.is_empty() {
        return Err("the handler's host name does not resolve".into());
    }
    if !allow_private && addrs.iter().any(|a| !is_public(a.ip())) {
        return Err("the handler is on a private, loopback or otherwise non-public address".into());
    }
    Ok(addrs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_take_events_without_the_admins_permission() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        // What the first pass let through: IPv4-compatible and IPv4-translated forms of
        // loopback, 6to4, site-local, Teredo, discard, IETF protocol assignments.
        for special in [
            "::127.0.0.1",
            "::ffff:0:127.0.0.1",
            "::ffff:0:a00:1",
            "2002:7f00:1::1",
            "2002:a00:1::",
            "fec0::1",
            "2001::1",
            "2001:0:4136:e378::1",
            "100::1",
            "64:ff9b:1::1",
            "3fff::1",
            "5f00::1",
            "192.0.0.1",
            "192.0.0.170",
            "192.88.99.1",
            "198.51.100.7",
            "203.0.113.9",
            "192.0.2.1",
            "198.19.0.1",
            "240.0.0.1",
        ] {
            assert!(!is_public(special.parse().unwrap()), "{special}");
        }
        for public in [
            "93.184.215.14",
            "8.8.8.8",
            "1.1.1.1",
            "2606:4700::1111",
            "2a00:1450:4001::200e",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn handlers_are_absolute_web_urls_without_credentials() {
        assert_eq!(handler_problem("https://app.example.com/events"), None);
        for bad in [
            "",
            "/events",
            "ftp://x.example.com/",
            "javascript:alert(1)",
            "https://user:pw@x.example.com/",
            "http://",
        ] {
            assert!(handler_problem(bad).is_some(), "{bad}");
        }
        assert_eq!(event_name("onOpenLineMessageAdd"), Some(MESSAGE_ADD));
        assert_eq!(event_name("OnCrmLeadAdd"), None);
    }

    #[tokio::test]
    async fn private_handlers_are_refused_unless_allowed() {
        let u = url::Url::parse("http://127.0.0.1:9/x").unwrap();
        assert!(resolve_handler(&u, false).await.is_err());
        assert_eq!(
            resolve_handler(&u, true).await.unwrap(),
            vec!["127.0.0.1:9".parse().unwrap()]
        );
        let u = url::Url::parse("http://localhost:9/x").unwrap();
        assert!(resolve_handler(&u, false).await.is_err());
        let u = url::Url::parse("http://[::1]:9/x").unwrap();
        assert!(resolve_handler(&u, false).await.is_err());
    }
}
