//! The targets of the Wasm fast path through `gust standalone` (b), with the `GET /ping` of the
//! same server (e) beside them: the part of a concurrency-1 round trip that is HTTP and the
//! machine's wake-ups, not the invoke.

use super::{Path, Report, dash, group, p50, target, targets};

/// Target: blocking invoke p50 at concurrency 1, µs.
const P50_TARGET_US: f64 = 150.0;
/// Target: invokes per second at concurrency 64, records persisted.
const RATE_TARGET: f64 = 20_000.0;

impl Report {
    /// The standalone targets; `None` without (b).
    pub(crate) fn standalone_section(&self) -> Option<String> {
        let one = self.find(Path::Gust, 1, 1);
        let wide = self.find(Path::Gust, 64, 1);
        if one.is_none() && wide.is_none() {
            return None;
        }
        let us = |v: f64| format!("{} µs", group(v));
        let rows = vec![
            target(
                "blocking invoke p50, concurrency 1 (b)",
                p50(one).map_or_else(dash, us),
                "< 150 µs",
                p50(one).map(|v| v < P50_TARGET_US),
            ),
            target(
                "invokes/s, records persisted, concurrency 64 (b)",
                wide.map_or_else(dash, |s| group(s.throughput)),
                "> 20,000/s",
                wide.map(|s| s.throughput > RATE_TARGET),
            ),
            // Not a target: the machine's share of the first one.
            vec![
                "for scale: GET /ping p50, concurrency 1 (e)".into(),
                p50(self.find(Path::Ping, 1, 1)).map_or_else(dash, us),
                "-".into(),
                String::new(),
            ],
        ];
        Some(targets("standalone target", rows))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_cell as cell;
    use super::*;

    #[test]
    fn the_targets_are_judged_from_b_and_shown_beside_e() {
        let mut r = Report::new(2);
        assert!(r.standalone_section().is_none());
        r.cells.push(cell(Path::Gust, 1, 149, 6_000.0));
        r.cells.push(cell(Path::Gust, 64, 3_000, 19_999.0));
        r.cells.push(cell(Path::Ping, 1, 77, 12_000.0));
        let text = r.standalone_section().unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[2].contains("149 µs") && lines[2].ends_with("met"), "{text}");
        assert!(lines[3].contains("19,999") && lines[3].ends_with("MISSED"), "{text}");
        assert!(lines[4].contains("77 µs"), "{text}");
    }
}
