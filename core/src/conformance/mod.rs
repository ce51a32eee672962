//! The store contract as checks any backend's tests run against a store of theirs (feature
//! `conformance`): the same assertions for SQLite and CouchDB, written once. Each check
//! panics with what differs; backend tests add what is particular to them (reopening a
//! file, a second store on the same databases, the bulk writer).

pub mod activations;
pub mod entities;
pub mod subjects;
