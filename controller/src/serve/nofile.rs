//! The open-file limit: a server holds one descriptor per connection, so it raises the soft
//! limit it inherited (often 1024) to the hard one, and derives its default connection limit
//! from the result.

/// The highest soft limit asked for when the hard limit is higher or unlimited.
const CEILING: u64 = 1 << 20;

/// Descriptors kept for everything but client connections (stores, bus, Docker, logs).
const RESERVED: u64 = 256;

/// The default connection limit where open files allow it.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

/// Raises the soft limit on open files to the hard limit (at most 2^20) and returns the limit
/// in force afterwards (`None` when it cannot be read, or is unlimited).
pub fn raise_open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, getrlimit, setrlimit};
        let limit = getrlimit(Resource::Nofile);
        let wanted = limit.maximum.unwrap_or(CEILING).min(CEILING);
        if limit.current.is_some_and(|soft| soft < wanted) {
            let raised = rustix::process::Rlimit { current: Some(wanted), maximum: limit.maximum };
            if let Err(e) = setrlimit(Resource::Nofile, raised) {
                tracing::warn!(error = %e, "Cannot raise the open-file limit.");
            }
        }
        getrlimit(Resource::Nofile).current
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The default connection limit under an open-file limit: 10,000, or fewer when the limit
/// leaves less after a reserve of 256 descriptors (half the limit, when it is that small).
pub fn default_max_connections(open_files: Option<u64>) -> usize {
    let Some(files) = open_files else { return DEFAULT_MAX_CONNECTIONS };
    let usable = files.saturating_sub(RESERVED).max(files / 2).max(1);
    usize::try_from(usable).unwrap_or(usize::MAX).min(DEFAULT_MAX_CONNECTIONS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_limit_leaves_a_reserve_of_descriptors() {
        assert_eq!(default_max_connections(None), 10_000);
        assert_eq!(default_max_connections(Some(1 << 20)), 10_000);
        assert_eq!(default_max_connections(Some(1024)), 768);
        assert_eq!(default_max_connections(Some(300)), 150);
    }

    #[cfg(unix)]
    #[test]
    fn the_soft_limit_is_raised_to_the_hard_limit() {
        use rustix::process::{Resource, getrlimit};
        let hard = getrlimit(Resource::Nofile).maximum.unwrap_or(CEILING).min(CEILING);
        let now = raise_open_file_limit();
        assert_eq!(now, Some(hard));
        assert_eq!(getrlimit(Resource::Nofile).current, Some(hard));
    }
}
