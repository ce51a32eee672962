//! gust-consul (being built).
