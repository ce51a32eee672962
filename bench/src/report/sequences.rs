//! The sequences part of the report (m): each sequence next to the single echo invoke of the
//! same run, in invokes/s and in components/s (invokes/s × components), and the targets of the
//! fused path.

use super::{Path, Report, Summary, dash, group, p50, render, row, target, targets, times};

/// Target: fused sequence of 3 p50 / single echo p50, at concurrency 1 (less than).
const P50_FACTOR_TARGET: f64 = 2.0;
/// Target: fused components/s / single invokes/s, at concurrency 64 (at least).
const RATE_FACTOR_TARGET: f64 = 0.7;
/// The sequence length the latency target is judged on.
const P50_TARGET_LENGTH: usize = 3;
/// The concurrency of the throughput target.
const RATE_TARGET_CONCURRENCY: usize = 64;

impl Report {
    /// The (m) rows per concurrency with their factors against the single echo, and the
    /// targets; `None` without any (m) cell.
    pub(crate) fn sequences_section(&self) -> Option<String> {
        let ours = |p: Path| matches!(p, Path::SeqSingle | Path::SeqFused { .. } | Path::SeqDriven { .. });
        let mut concurrencies: Vec<usize> = self.cells.iter().filter(|c| ours(c.path)).map(|c| c.concurrency).collect();
        if concurrencies.is_empty() {
            return None;
        }
        concurrencies.sort_unstable();
        concurrencies.dedup();
        let mut lengths: Vec<usize> = self
            .cells
            .iter()
            .filter(|c| ours(c.path) && c.path != Path::SeqSingle)
            .map(|c| c.path.components())
            .collect();
        lengths.sort_unstable();
        lengths.dedup();

        let mut rows = vec![row(&[
            "invoke",
            "conc",
            "p50 µs",
            "p99 µs",
            "invokes/s",
            "components/s",
            "p50 x single",
            "components/s x single",
        ])];
        for &n in &concurrencies {
            let single = self.find(Path::SeqSingle, n, 1);
            let mut paths = vec![Path::SeqSingle];
            paths.extend(lengths.iter().map(|&components| Path::SeqFused { components }));
            paths.extend(lengths.iter().map(|&components| Path::SeqDriven { components }));
            for path in paths {
                let Some(s) = self.find(path, n, 1) else { continue };
                let vs_single = path != Path::SeqSingle;
                rows.push(vec![
                    describe(path),
                    n.to_string(),
                    s.p50_us.map_or_else(dash, |v| group(v as f64)),
                    s.p99_us.map_or_else(dash, |v| group(v as f64)),
                    group(s.throughput),
                    group(components_rate(path, s)),
                    if vs_single { times(p50(Some(s)), p50(single)) } else { dash() },
                    if vs_single {
                        times(Some(components_rate(path, s)), single.map(|s| s.throughput))
                    } else {
                        dash()
                    },
                ]);
            }
        }
        let mut out = render(&rows, &[false, true, true, true, true, true, true, true]);

        let mut judged = Vec::new();
        let fused = Path::SeqFused { components: P50_TARGET_LENGTH };
        let (seq, single) = (self.find(fused, 1, 1), self.find(Path::SeqSingle, 1, 1));
        let factor = p50(seq).zip(p50(single)).map(|(s, o)| s / o);
        judged.push(target(
            format!("p50 fused sequence of {P50_TARGET_LENGTH} / single echo, concurrency 1"),
            times(p50(seq), p50(single)),
            "< 2x",
            factor.map(|f| f < P50_FACTOR_TARGET),
        ));
        let single = self.find(Path::SeqSingle, RATE_TARGET_CONCURRENCY, 1);
        for &components in &lengths {
            let path = Path::SeqFused { components };
            let seq = self.find(path, RATE_TARGET_CONCURRENCY, 1);
            let rate = seq.map(|s| components_rate(path, s));
            let factor = rate.zip(single.map(|s| s.throughput)).map(|(r, o)| r / o);
            judged.push(target(
                format!(
                    "components/s fused sequence of {components} / single echo invokes/s, \
                     concurrency {RATE_TARGET_CONCURRENCY}"
                ),
                times(rate, single.map(|s| s.throughput)),
                ">= 0.7x",
                factor.map(|f| f >= RATE_FACTOR_TARGET),
            ));
        }
        out.push('\n');
        out += &targets("sequence target", judged);
        Some(out)
    }
}

/// The invoke of a row, in words.
fn describe(path: Path) -> String {
    match path {
        Path::SeqFused { components } => format!("fused sequence of {components}"),
        Path::SeqDriven { components } => format!("driven sequence of {components}"),
        _ => String::from("single echo"),
    }
}

/// Component activations per second: invokes/s × components.
fn components_rate(path: Path, s: &Summary) -> f64 {
    s.throughput * path.components() as f64
}

#[cfg(test)]
mod tests {
    use super::super::test_cell as cell;
    use super::*;

    #[test]
    fn rows_count_components_and_the_targets_are_judged() {
        let mut r = Report::new(2);
        assert!(r.sequences_section().is_none());
        r.cells.push(cell(Path::SeqSingle, 1, 200, 5_000.0));
        r.cells.push(cell(Path::SeqFused { components: 3 }, 1, 399, 2_500.0));
        r.cells.push(cell(Path::SeqSingle, 64, 3_000, 18_000.0));
        r.cells.push(cell(Path::SeqFused { components: 3 }, 64, 9_000, 4_000.0));
        r.cells.push(cell(Path::SeqFused { components: 10 }, 64, 30_000, 1_300.0));
        r.cells.push(cell(Path::SeqDriven { components: 3 }, 64, 20_000, 1_000.0));
        let text = r.sequences_section().unwrap();
        let line = |start: &str, conc: &str| {
            text.lines()
                .find(|l| l.starts_with(start) && l.split_whitespace().any(|w| w == conc))
                .unwrap_or_else(|| panic!("no row {start} at {conc}:\n{text}"))
                .to_owned()
        };
        // 4,000 invokes/s of 3 components: 12,000 components/s, 0.67x the single echo's 18,000.
        let fused3 = line("fused sequence of 3", "64");
        assert!(fused3.contains("12,000") && fused3.ends_with("0.67x"), "{text}");
        assert!(line("driven sequence of 3", "64").ends_with("0.17x"), "{text}");
        assert!(line("single echo", "1").ends_with('-'), "{text}");
        assert!(line("fused sequence of 3", "1").contains("2.00x"), "{text}");
        let verdict = |what: &str| {
            text.lines().find(|l| l.starts_with(what)).unwrap_or_else(|| panic!("no {what}:\n{text}")).to_owned()
        };
        // 399 / 200 µs = 1.995: under 2x.
        assert!(verdict("p50 fused sequence of 3").ends_with("met"), "{text}");
        assert!(verdict("components/s fused sequence of 3 ").ends_with("MISSED"), "{text}");
        // 1,300 x 10 = 13,000 components/s: 0.72x.
        let ten = verdict("components/s fused sequence of 10 ");
        assert!(ten.contains("0.72x") && ten.ends_with("met"), "{text}");
    }
}
