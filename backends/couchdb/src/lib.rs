//! gust-couchdb (being built).
