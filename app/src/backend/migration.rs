//! Schema migrations, written with SeaORM's schema helpers so one set serves SQLite and
//! PostgreSQL. Applied at start by [`super::db::connect_and_migrate`].

use sea_orm_migration::prelude::*;

mod m0001_identity;
mod m0002_channels;
mod m0003_conversations;
mod m0004_inbox;
mod m0005_rest;
mod m0006_message_keys;
mod m0007_quick_answers;
mod m0008_queue_order;
mod m0009_ratings;
mod m0010_pins;
mod m0011_notes;
mod m0012_search;
mod m0013_attachments;
mod m0014_rest_uploads;
mod m0015_rest_apps;
mod m0016_message_rich;
mod m0017_events;
mod m0018_hours;
mod m0019_second_ring;
mod m0020_form_refills;
mod m0021_search_fold;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_identity::Migration),
            Box::new(m0002_channels::Migration),
            Box::new(m0003_conversations::Migration),
            Box::new(m0004_inbox::Migration),
            Box::new(m0005_rest::Migration),
            Box::new(m0006_message_keys::Migration),
            Box::new(m0007_quick_answers::Migration),
            Box::new(m0008_queue_order::Migration),
            Box::new(m0009_ratings::Migration),
            Box::new(m0010_pins::Migration),
            Box::new(m0011_notes::Migration),
            Box::new(m0012_search::Migration),
            Box::new(m0013_attachments::Migration),
            Box::new(m0014_rest_uploads::Migration),
            Box::new(m0015_rest_apps::Migration),
            Box::new(m0016_message_rich::Migration),
            Box::new(m0017_events::Migration),
            Box::new(m0018_hours::Migration),
            Box::new(m0019_second_ring::Migration),
            Box::new(m0020_form_refills::Migration),
            Box::new(m0021_search_fold::Migration),
        ]
    }
}
