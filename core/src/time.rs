//! Wall-clock helpers: epoch milliseconds and the ISO-8601 stamps of activation log lines.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// Microseconds since the Unix epoch.
pub fn now_us() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as u64).unwrap_or(0)
}

/// Formats epoch microseconds as `2017-04-27T21:14:13.767123Z` (UTC, civil calendar).
pub fn iso8601_micros(us: u64) -> String {
    let secs = us / 1_000_000;
    let micros = us % 1_000_000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z", rem / 3600, (rem % 3600) / 60, rem % 60)
}

/// One activation log line as OpenWhisk shows it: the timestamp padded to 30 characters,
/// a space, the stream name, a colon and the text.
pub fn log_line(us: u64, stream: &str, text: &str) -> String {
    format!("{:<30} {stream}: {text}", iso8601_micros(us))
}

/// Days since 1970-01-01 to (year, month, day), after Howard Hinnant's civil algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A setting like `90s` or `7d`: digits, then one of `units`, each given with its length in
/// milliseconds (`""` admits a bare number). `None` when `s` is not one, or is too long.
pub fn parse_amount(s: &str, units: &[(&str, u64)]) -> Option<Duration> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let n: u64 = digits.parse().ok()?;
    let per = units.iter().find(|(name, _)| *name == unit)?.1;
    n.checked_mul(per).map(Duration::from_millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_take_only_the_units_given() {
        let units = &[("s", 1000), ("m", 60_000)];
        assert_eq!(parse_amount(" 90s ", units), Some(Duration::from_secs(90)));
        assert_eq!(parse_amount("2m", units), Some(Duration::from_secs(120)));
        for not in ["90", "1h", "s", "-1s", "1.5s", "99999999999999999999s"] {
            assert_eq!(parse_amount(not, units), None, "{not}");
        }
        assert_eq!(parse_amount(&format!("{}m", u64::MAX / 1000), units), None, "too long is refused, not wrapped");
        assert_eq!(parse_amount("250", &[("", 1)]), Some(Duration::from_millis(250)));
    }

    #[test]
    fn formats_known_instants() {
        assert_eq!(iso8601_micros(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(iso8601_micros(1_493_327_653_767_000), "2017-04-27T21:14:13.767000Z");
        assert_eq!(iso8601_micros(951_782_400_000_001), "2000-02-29T00:00:00.000001Z");
    }

    #[test]
    fn log_lines_pad_the_stamp_to_thirty_characters() {
        let line = log_line(1_493_327_653_767_000, "stderr", "hi");
        assert_eq!(line, "2017-04-27T21:14:13.767000Z    stderr: hi");
    }
}
