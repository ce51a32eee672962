//! gust-kafka (being built).
