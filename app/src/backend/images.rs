//! Avatar processing: the file's content decides the format (JPEG or PNG only), limits
//! are checked before decoding (size, header dimensions) and while decoding (decoder
//! limits against decompression bombs), and the picture is re-encoded as PNG at two
//! sizes, which drops every piece of metadata (EXIF, GPS, comments).

use crate::backend::OrInternal;
use crate::error::{AppError, Code, Field};
use image::{
    imageops::FilterType, DynamicImage, GenericImageView, ImageFormat, ImageReader, Limits, RgbaImage,
};
use sha2::{Digest, Sha256};
use std::io::Cursor;

/// Largest accepted upload.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;
/// Largest accepted width and height.
pub const MAX_SIDE: u32 = 4096;
/// The sizes stored (square, in pixels).
pub const SIZES: [u32; 2] = [64, 256];

fn refuse(code: Code) -> AppError {
    AppError::Invalid {
        field: Field::Avatar,
        code,
    }
}

/// A processed avatar: content key and one PNG per size in [`SIZES`].
#[derive(Debug)]
pub struct Avatar {
    pub key: String,
    pub renditions: Vec<(u32, Vec<u8>)>,
    /// Width and height of the uploaded picture.
    pub source_size: (u32, u32),
}

/// Checks and converts an uploaded picture. With `crop`, a non-square picture is cut to
/// its centre square first; otherwise it is fitted into the square without stretching.
pub fn process(bytes: &[u8], crop: bool) -> Result<Avatar, AppError> {
    if bytes.is_empty() {
        return Err(refuse(Code::Required));
    }
    if bytes.len() > MAX_BYTES {
        return Err(refuse(Code::AvatarTooLarge));
    }
    let format = match image::guess_format(bytes) {
        Ok(f @ (ImageFormat::Png | ImageFormat::Jpeg)) => f,
        _ => return Err(refuse(Code::AvatarFormat)),
    };
    if format == ImageFormat::Jpeg && !jpeg_is_complete(bytes) {
        return Err(refuse(Code::AvatarCorrupt));
    }
    // The header alone tells the dimensions: refuse giants before allocating anything.
    // A PNG's size sits in its first chunk, which we read ourselves: decoders scan on to
    // the first image data chunk before they report it.
    if let Some((w, h)) = png_header_size(bytes) {
        if w > MAX_SIDE || h > MAX_SIDE {
            return Err(refuse(Code::AvatarDimensions));
        }
    }
    let (w, h) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|e| match e {
            image::ImageError::Limits(_) => refuse(Code::AvatarDimensions),
            _ => refuse(Code::AvatarCorrupt),
        })?;
    if w == 0 || h == 0 {
        return Err(refuse(Code::AvatarCorrupt));
    }
    if w > MAX_SIDE || h > MAX_SIDE {
        return Err(refuse(Code::AvatarDimensions));
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| {
        tracing::info!(error = %e, "avatar refused: cannot decode");
        match e {
            image::ImageError::Limits(_) => refuse(Code::AvatarDimensions),
            _ => refuse(Code::AvatarCorrupt),
        }
    })?;
    let img = if crop { centre_square(&img) } else { img };
    let mut renditions = Vec::with_capacity(SIZES.len());
    let mut hasher = Sha256::new();
    for size in SIZES {
        let png = encode_png(&fit_square(&img, size))?;
        hasher.update(&png);
        renditions.push((size, png));
    }
    let key = hex::encode(&hasher.finalize()[..16]);
    Ok(Avatar {
        key,
        renditions,
        source_size: (w, h),
    })
}

/// Width and height from a PNG's IHDR chunk (bytes 16..24), if the file starts like one.
fn png_header_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.len() < 24 || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let w = u32::from_be_bytes(bytes[16..20].try_into().ok()?);
    let h = u32::from_be_bytes(bytes[20..24].try_into().ok()?);
    Some((w, h))
}

/// A JPEG must end with its End-Of-Image marker (trailing padding allowed); decoders
/// otherwise fill a cut-off file with grey and call it fine.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let end = bytes
        .iter()
        .rposition(|&b| b != 0x00 && b != b'\n' && b != b'\r' && b != b' ');
    matches!(end, Some(i) if i >= 1 && bytes[i - 1] == 0xFF && bytes[i] == 0xD9)
}

/// The largest centred square of the picture.
pub fn centre_square(img: &DynamicImage) -> DynamicImage {
    let (w, h) = img.dimensions();
    let side = w.min(h);
    img.crop_imm((w - side) / 2, (h - side) / 2, side, side)
}

/// Scales the picture to fit a `size`×`size` square, keeping its proportions; the rest
/// of the square stays transparent.
fn fit_square(img: &DynamicImage, size: u32) -> RgbaImage {
    let scaled = img.resize(size, size, FilterType::Lanczos3).to_rgba8();
    let mut canvas = RgbaImage::new(size, size);
    let x = (size - scaled.width()) / 2;
    let y = (size - scaled.height()) / 2;
    image::imageops::overlay(&mut canvas, &scaled, x as i64, y as i64);
    canvas
}

fn encode_png(img: &RgbaImage) -> Result<Vec<u8>, AppError> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png).or_internal()?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage, Rgba};

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = RgbaImage::from_fn(w, h, |x, y| Rgba([(x % 256) as u8, (y % 256) as u8, 90, 255]));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, 120, (y % 256) as u8]));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Jpeg).unwrap();
        out.into_inner()
    }

    fn code(r: Result<Avatar, AppError>) -> Code {
        let e = r.unwrap_err();
        assert_eq!(e.field(), Some(Field::Avatar));
        e.code()
    }

    fn decode(bytes: &[u8]) -> DynamicImage {
        image::load_from_memory(bytes).unwrap()
    }

    /// A PNG made only of its signature and a header chunk (valid CRC) that claims
    /// the given size: decoding it would need width × height × 4 bytes.
    fn png_header_only(w: u32, h: u32) -> Vec<u8> {
        fn crc32(data: &[u8]) -> u32 {
            let mut crc = 0xFFFF_FFFFu32;
            for &b in data {
                crc ^= b as u32;
                for _ in 0..8 {
                    crc = if crc & 1 != 0 {
                        (crc >> 1) ^ 0xEDB8_8320
                    } else {
                        crc >> 1
                    };
                }
            }
            !crc
        }
        let mut ihdr = b"IHDR".to_vec();
        ihdr.extend_from_slice(&w.to_be_bytes());
        ihdr.extend_from_slice(&h.to_be_bytes());
        ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
        let mut out = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
        out.extend_from_slice(&13u32.to_be_bytes());
        out.extend_from_slice(&ihdr);
        out.extend_from_slice(&crc32(&ihdr).to_be_bytes());
        out
    }

    #[test]
    fn a_square_png_is_stored_at_64_and_256_pixels() {
        let a = process(&png(300, 300), false).unwrap();
        assert_eq!(a.source_size, (300, 300));
        assert_eq!(
            a.renditions.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
            vec![64, 256]
        );
        for (size, bytes) in &a.renditions {
            assert_eq!(image::guess_format(bytes).unwrap(), ImageFormat::Png);
            assert_eq!(decode(bytes).dimensions(), (*size, *size));
        }
        assert_eq!(a.key.len(), 32);
    }

    #[test]
    fn a_non_square_jpeg_is_fitted_without_stretching_or_cropped_to_its_centre() {
        let src = jpeg(400, 200);
        let fitted = decode(&process(&src, false).unwrap().renditions[1].1).to_rgba8();
        // Fitted: the picture keeps its 2:1 shape, the bands above and below are empty.
        assert_eq!(fitted.get_pixel(128, 10)[3], 0, "transparent band on top");
        assert_eq!(fitted.get_pixel(128, 128)[3], 255);
        let cropped = decode(&process(&src, true).unwrap().renditions[1].1).to_rgba8();
        assert_eq!(cropped.get_pixel(128, 10)[3], 255, "cropped: the square is full");
        assert_eq!(cropped.dimensions(), (256, 256));
    }

    #[test]
    fn a_cmyk_jpeg_is_accepted_and_converted() {
        let (w, h) = (32u16, 32u16);
        let data: Vec<u8> = (0..(w as usize * h as usize))
            .flat_map(|_| [0u8, 200, 200, 0])
            .collect();
        let mut out = Vec::new();
        jpeg_encoder::Encoder::new(&mut out, 90)
            .encode(&data, w, h, jpeg_encoder::ColorType::Cmyk)
            .unwrap();
        let a = process(&out, false).unwrap();
        assert_eq!(a.source_size, (32, 32));
        assert_eq!(decode(&a.renditions[0].1).dimensions(), (64, 64));
    }

    #[test]
    fn a_1_by_20000_png_is_refused_for_its_dimensions() {
        assert_eq!(code(process(&png(1, 20000), false)), Code::AvatarDimensions);
    }

    #[test]
    fn a_png_header_claiming_100000_square_is_refused_before_decoding() {
        assert_eq!(
            code(process(&png_header_only(100_000, 100_000), false)),
            Code::AvatarDimensions
        );
    }

    #[test]
    fn a_gif_renamed_png_is_refused_by_its_content() {
        let gif: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";
        assert_eq!(code(process(gif, false)), Code::AvatarFormat);
        assert_eq!(
            code(process(b"<svg xmlns='http://www.w3.org/2000/svg'/>", false)),
            Code::AvatarFormat
        );
    }

    #[test]
    fn a_truncated_jpeg_or_png_is_refused_as_damaged() {
        let j = jpeg(64, 64);
        assert_eq!(code(process(&j[..j.len() / 2], false)), Code::AvatarCorrupt);
        let p = png(64, 64);
        assert_eq!(code(process(&p[..p.len() / 2], false)), Code::AvatarCorrupt);
    }

    #[test]
    fn files_over_5_mb_and_empty_files_are_refused() {
        let mut big = png(8, 8);
        big.resize(MAX_BYTES + 1, 0);
        assert_eq!(code(process(&big, false)), Code::AvatarTooLarge);
        assert_eq!(code(process(&[], false)), Code::Required);
    }

    #[test]
    fn metadata_is_not_kept() {
        // A JPEG with an EXIF-like APP1 segment carrying a marker string.
        let j = jpeg(16, 16);
        let mut with_exif = j[..2].to_vec();
        let payload = b"Exif\0\0SECRET-GPS-POSITION";
        with_exif.extend_from_slice(&[0xFF, 0xE1]);
        with_exif.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        with_exif.extend_from_slice(payload);
        with_exif.extend_from_slice(&j[2..]);
        let a = process(&with_exif, false).unwrap();
        for (_, bytes) in a.renditions {
            assert!(!bytes.windows(6).any(|w| w == b"SECRET"));
        }
    }
}
