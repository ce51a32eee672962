//! Which stem cells (prewarmed containers) to keep: the runtime manifest's, or a list an
//! operator gives as `KIND=COUNT[xMB]`, comma-separated, e.g. `nodejs:18=2,native=1x512`.

use gust_core::exec::{RuntimeManifest, Sandbox};

use super::docker_kinds;
use super::pool::StemCell;

/// Memory of a listed stem cell without `xMB`: OpenWhisk's default action memory.
const DEFAULT_MB: u64 = 256;

/// A stem-cell list that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StemCellsError {
    /// An entry is not `KIND=COUNT[xMB]`.
    #[error("'{0}' is not a stem cell entry like nodejs:18=2 or native=1x512 (KIND=COUNT[xMB])")]
    Syntax(String),
    /// The kind does not run in Docker here.
    #[error("stem cells need a container kind of the runtime manifest; '{kind}' is not one (kinds: {valid})")]
    Kind {
        /// The kind given.
        kind: String,
        /// The container kinds there are.
        valid: String,
    },
}

/// Stem cells of the manifest's Docker kinds, with `count` each.
fn stem_cells(manifest: &RuntimeManifest) -> Vec<StemCell> {
    manifest
        .kinds
        .iter()
        .filter_map(|k| match &k.sandbox {
            Sandbox::Docker { image } => Some((k, image)),
            Sandbox::Wasm => None,
        })
        .flat_map(|(k, image)| {
            k.stem_cells.iter().map(move |c| StemCell {
                kind: k.kind.clone(),
                image: image.clone(),
                memory_mb: c.memory,
                count: c.count,
            })
        })
        .collect()
}

/// The stem cells a deployment keeps: none without `prewarm`, else the operator's `list`
/// when there is one, else the manifest's.
pub fn chosen_stem_cells(
    manifest: &RuntimeManifest,
    prewarm: bool,
    list: Option<&str>,
) -> Result<Vec<StemCell>, StemCellsError> {
    match (prewarm, list) {
        (false, _) => Ok(Vec::new()),
        (true, None) => Ok(stem_cells(manifest)),
        (true, Some(list)) => parse_stem_cells(manifest, list),
    }
}

/// Parses an operator's list against `manifest` (aliases like `nodejs:default` resolve; an
/// empty list means none).
fn parse_stem_cells(manifest: &RuntimeManifest, list: &str) -> Result<Vec<StemCell>, StemCellsError> {
    let mut out = Vec::new();
    for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let syntax = || StemCellsError::Syntax(entry.to_owned());
        let (kind, rest) = entry.split_once('=').ok_or_else(syntax)?;
        let (count, memory) = match rest.split_once(['x', 'X']) {
            Some((c, m)) => (c, m.trim().trim_end_matches("MB").trim_end_matches("mb")),
            None => (rest, ""),
        };
        let count: usize = count.trim().parse().map_err(|_| syntax())?;
        let memory_mb = if memory.is_empty() { DEFAULT_MB } else { memory.parse().map_err(|_| syntax())? };
        if memory_mb == 0 {
            return Err(syntax());
        }
        let runtime = manifest.resolve(kind).ok();
        let Some((runtime, Sandbox::Docker { image })) = runtime.map(|r| (r, &r.sandbox)) else {
            return Err(StemCellsError::Kind {
                kind: kind.trim().to_owned(),
                valid: docker_kinds(manifest).join(", "),
            });
        };
        out.push(StemCell { kind: runtime.kind.clone(), image: image.clone(), memory_mb, count });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> RuntimeManifest {
        let json = r#"{"kinds": [
            {"kind": "nodejs:18", "default": true, "image": "gust/runtime-nodejs:18", "stemCells": [{"count": 2, "memory": 256}]},
            {"kind": "native", "default": true, "image": "gust/runtime-native:1", "stemCells": []}
        ]}"#;
        RuntimeManifest::with_docker_kinds(json).unwrap()
    }

    #[test]
    fn the_manifest_gives_the_default_stem_cells() {
        let cells = stem_cells(&manifest());
        assert_eq!(cells.len(), 1);
        assert_eq!((cells[0].kind.as_str(), cells[0].count, cells[0].memory_mb), ("nodejs:18", 2, 256));
    }

    #[test]
    fn a_list_names_kinds_counts_and_memory() {
        let cells = parse_stem_cells(&manifest(), "nodejs:default=1, native=2x512MB").unwrap();
        let got: Vec<(&str, &str, usize, u64)> =
            cells.iter().map(|c| (c.kind.as_str(), c.image.as_str(), c.count, c.memory_mb)).collect();
        assert_eq!(got, [("nodejs:18", "gust/runtime-nodejs:18", 1, 256), ("native", "gust/runtime-native:1", 2, 512)]);
        assert!(parse_stem_cells(&manifest(), "").unwrap().is_empty());
    }

    #[test]
    fn prewarm_off_wins_and_a_list_replaces_the_manifest() {
        let m = manifest();
        assert!(chosen_stem_cells(&m, false, Some("native=3")).unwrap().is_empty());
        assert_eq!(chosen_stem_cells(&m, true, None).unwrap().len(), 1);
        let listed = chosen_stem_cells(&m, true, Some("native=3")).unwrap();
        assert_eq!((listed[0].kind.as_str(), listed[0].count), ("native", 3));
    }

    #[test]
    fn bad_lists_say_what_is_wrong() {
        let m = manifest();
        assert_eq!(parse_stem_cells(&m, "nodejs:18"), Err(StemCellsError::Syntax("nodejs:18".into())));
        assert_eq!(parse_stem_cells(&m, "native=two"), Err(StemCellsError::Syntax("native=two".into())));
        assert_eq!(parse_stem_cells(&m, "native=1x0"), Err(StemCellsError::Syntax("native=1x0".into())));
        let e = parse_stem_cells(&m, "wasm:wasip1=1").unwrap_err();
        assert_eq!(
            e.to_string(),
            "stem cells need a container kind of the runtime manifest; 'wasm:wasip1' is not one (kinds: nodejs:18, native)"
        );
        assert!(matches!(parse_stem_cells(&m, "cobol=1"), Err(StemCellsError::Kind { .. })));
    }
}
