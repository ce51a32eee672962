//! What an action runs (`exec`), and the runtime manifest that says which kinds exist.

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};

use crate::names::FullyQualifiedName;

/// The kind of the WebAssembly fast path.
pub const WASM_KIND: &str = "wasm:wasip1";
/// The kind of a user-supplied Docker image.
pub const BLACKBOX_KIND: &str = "blackbox";
/// The kind of a sequence of actions.
pub const SEQUENCE_KIND: &str = "sequence";

/// Where a kind runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "sandbox")]
pub enum Sandbox {
    /// In-process WebAssembly (WASI preview 1 command).
    Wasm,
    /// A Docker container made from `image`.
    Docker {
        /// The runtime image.
        image: String,
    },
}

/// One runtime kind of the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuntimeKind {
    /// `family:version`, e.g. `wasm:wasip1`.
    pub kind: String,
    /// The family's default version (what `family:default` resolves to).
    pub default: bool,
    /// Readable and deletable, but no longer creatable or invocable.
    #[serde(default)]
    pub deprecated: bool,
    /// Where it runs.
    #[serde(flatten)]
    pub sandbox: Sandbox,
    /// Containers of this kind to keep started ahead of demand (Docker kinds only).
    #[serde(default, rename = "stemCells", skip_serializing_if = "Vec::is_empty")]
    pub stem_cells: Vec<StemCellSpec>,
}

/// A stem-cell configuration of a kind: keep `count` containers of `memory` MB started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StemCellSpec {
    /// How many.
    pub count: usize,
    /// Their memory limit, MB.
    pub memory: u64,
}

impl RuntimeKind {
    /// The family part of the kind (`wasm` for `wasm:wasip1`).
    pub fn family(&self) -> &str {
        self.kind.split(':').next().unwrap_or(&self.kind)
    }
}

/// The kinds this deployment accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuntimeManifest {
    /// Every kind, in display order.
    pub kinds: Vec<RuntimeKind>,
}

impl Default for RuntimeManifest {
    /// The kinds every Gust has: the WebAssembly fast path.
    fn default() -> Self {
        Self {
            kinds: vec![RuntimeKind {
                kind: WASM_KIND.into(),
                default: true,
                deprecated: false,
                sandbox: Sandbox::Wasm,
                stem_cells: vec![],
            }],
        }
    }
}

/// One kind of a runtime manifest file (`runtimes/manifest.json`).
#[derive(Debug, Deserialize)]
struct FileKind {
    kind: String,
    #[serde(default)]
    default: bool,
    #[serde(default)]
    deprecated: bool,
    image: String,
    #[serde(default, rename = "stemCells")]
    stem_cells: Vec<StemCellSpec>,
}

#[derive(Debug, Deserialize)]
struct ManifestFile {
    kinds: Vec<FileKind>,
}

impl RuntimeManifest {
    /// The built-in kinds plus the Docker kinds of a runtime manifest file:
    /// `{"kinds": [{"kind", "default", "image", "stemCells": [{"count", "memory"}]}]}`.
    pub fn with_docker_kinds(json: &str) -> Result<RuntimeManifest, serde_json::Error> {
        let file: ManifestFile = serde_json::from_str(json)?;
        let mut m = RuntimeManifest::default();
        m.kinds.extend(file.kinds.into_iter().map(|k| RuntimeKind {
            kind: k.kind,
            default: k.default,
            deprecated: k.deprecated,
            sandbox: Sandbox::Docker { image: k.image },
            stem_cells: k.stem_cells,
        }));
        Ok(m)
    }
}

/// Why an `exec` was refused. The text is what clients see after "The request content was malformed:".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecError {
    /// The kind is not in the manifest.
    #[error("The specified runtime '{kind}' is not supported by this platform. Valid values are: {valid}.")]
    UnsupportedKind {
        /// The kind as sent.
        kind: String,
        /// The accepted kinds, quoted and comma separated.
        valid: String,
    },
    /// No `kind` in the exec.
    #[error("'kind' must be a string defined in 'exec'")]
    MissingKind,
    /// No `code` for a kind that needs it.
    #[error("'code' must be a string defined in 'exec' for '{0}' actions")]
    MissingCode(String),
    /// A blackbox exec without an image.
    #[error("'image' must be a string defined in 'exec' for 'blackbox' actions")]
    MissingImage,
    /// A sequence component that is not a fully qualified action name.
    #[error(transparent)]
    Component(#[from] crate::names::NotQualified),
    /// A sequence without its `components`.
    #[error("'components' must be an array of action names defined in 'exec' for 'sequence' actions")]
    MissingComponents,
    /// The kind is deprecated.
    #[error("The '{0}' runtime is no longer supported. You may read and delete but not update or invoke this action.")]
    Deprecated(String),
}

impl RuntimeManifest {
    /// Resolves a kind as a client sent it: trimmed, lower-cased, `family:default` mapped to the
    /// family's default version.
    pub fn resolve(&self, kind: &str) -> Result<&RuntimeKind, ExecError> {
        let k = kind.trim().to_lowercase();
        let found = match k.strip_suffix(":default") {
            Some(family) => self.kinds.iter().find(|r| r.family() == family && r.default),
            None => self.kinds.iter().find(|r| r.kind == k),
        };
        found.ok_or_else(|| ExecError::UnsupportedKind { kind: kind.to_owned(), valid: self.valid_kinds() })
    }

    fn valid_kinds(&self) -> String {
        let mut names: Vec<String> =
            self.kinds.iter().filter(|k| !k.deprecated).map(|k| format!("'{}'", k.kind)).collect();
        if self.has_docker() {
            names.push(format!("'{BLACKBOX_KIND}'"));
        }
        names.join(", ")
    }

    /// True when any kind runs in Docker (then `blackbox` is accepted too).
    pub fn has_docker(&self) -> bool {
        self.kinds.iter().any(|k| matches!(k.sandbox, Sandbox::Docker { .. }))
    }

    /// Looks a stored (already resolved) kind up.
    pub fn get(&self, kind: &str) -> Option<&RuntimeKind> {
        self.kinds.iter().find(|r| r.kind == kind)
    }
}

/// The kind of an action's code, typed: where it runs follows from it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CodeKind {
    /// `wasm:wasip1`: the in-process WebAssembly fast path.
    Wasm,
    /// A container runtime of the manifest: `nodejs:18`, `python:3.11`, `native`, ...
    Container(String),
}

impl CodeKind {
    /// The kind a resolved kind string names.
    pub fn parse(kind: &str) -> CodeKind {
        if kind == WASM_KIND { CodeKind::Wasm } else { CodeKind::Container(kind.to_owned()) }
    }

    /// The kind string, as stored and shown.
    pub fn as_str(&self) -> &str {
        match self {
            CodeKind::Wasm => WASM_KIND,
            CodeKind::Container(k) => k,
        }
    }
}

impl std::fmt::Display for CodeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An action's executable, as stored.
#[derive(Debug, Clone, PartialEq)]
pub enum Exec {
    /// Code for a runtime kind (the resolved kind is stored).
    Code {
        /// Resolved kind, e.g. `wasm:wasip1`.
        kind: CodeKind,
        /// Source text or base64 of a binary; `None` only in views that hide code.
        code: Option<String>,
        /// Entry point, when not `main`.
        main: Option<String>,
        /// True when `code` is base64 (a zip, a jar, a Wasm module).
        binary: bool,
    },
    /// A user Docker image that speaks `/init` and `/run` on port 8080.
    Blackbox {
        /// The image reference, as given.
        image: String,
        /// Optional code handed to the image's `/init`.
        code: Option<String>,
        /// Entry point, when not `main`.
        main: Option<String>,
        /// True when `code` is base64.
        binary: bool,
    },
    /// A sequence: its components run one after the other, each one's result the next one's
    /// input.
    Sequence {
        /// The components, fully qualified (`_` replaced by the namespace when created).
        components: Vec<FullyQualifiedName>,
    },
}

impl Exec {
    /// The kind string (`blackbox` for images).
    pub fn kind(&self) -> &str {
        match self {
            Exec::Code { kind, .. } => kind.as_str(),
            Exec::Blackbox { .. } => BLACKBOX_KIND,
            Exec::Sequence { .. } => SEQUENCE_KIND,
        }
    }

    /// The components of a sequence.
    pub fn components(&self) -> Option<&[FullyQualifiedName]> {
        match self {
            Exec::Sequence { components } => Some(components),
            _ => None,
        }
    }

    /// True for the WebAssembly fast path.
    pub fn is_wasm(&self) -> bool {
        matches!(self, Exec::Code { kind: CodeKind::Wasm, .. })
    }

    /// The code, when present.
    pub fn code(&self) -> Option<&str> {
        match self {
            Exec::Code { code, .. } | Exec::Blackbox { code, .. } => code.as_deref(),
            Exec::Sequence { .. } => None,
        }
    }

    /// True when the code is base64.
    pub fn binary(&self) -> bool {
        match self {
            Exec::Code { binary, .. } | Exec::Blackbox { binary, .. } => *binary,
            Exec::Sequence { .. } => false,
        }
    }

    /// The bytes OpenWhisk charges against the 48 MiB exec limit: code, main and image.
    pub fn size_bytes(&self) -> usize {
        match self {
            Exec::Code { code, main, .. } => {
                code.as_ref().map_or(0, String::len) + main.as_ref().map_or(0, String::len)
            }
            Exec::Blackbox { image, code, main, .. } => {
                image.len() + code.as_ref().map_or(0, String::len) + main.as_ref().map_or(0, String::len)
            }
            Exec::Sequence { components } => components.iter().map(|c| c.qualified().len()).sum(),
        }
    }

    /// The same exec with the code left out (for `?code=false` and caches).
    pub fn without_code(&self) -> Exec {
        let mut e = self.clone();
        match &mut e {
            Exec::Code { code, .. } | Exec::Blackbox { code, .. } => *code = None,
            Exec::Sequence { .. } => {}
        }
        e
    }
}

/// The wire shape of `exec`, for both directions.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ExecPut {
    /// Requested kind.
    pub kind: Option<String>,
    /// Code (text or base64).
    pub code: Option<String>,
    /// Entry point.
    pub main: Option<String>,
    /// Docker image for `blackbox`.
    pub image: Option<String>,
    /// Ignored on requests: the server decides.
    pub binary: Option<bool>,
    /// The components of a `sequence`: fully qualified action names.
    pub components: Option<Vec<String>>,
}

/// True when `code` looks like base64 (OpenWhisk's rule for `binary`).
pub fn looks_base64(code: &str) -> bool {
    let t = code.trim();
    if t.is_empty() || !t.len().is_multiple_of(4) {
        return false;
    }
    let bytes = t.as_bytes();
    let body = &bytes[..bytes.len() - 4];
    let last = &bytes[bytes.len() - 4..];
    let b64 = |c: u8| c.is_ascii_alphanumeric() || c == b'+' || c == b'/';
    body.iter().all(|&c| b64(c))
        && (last.iter().all(|&c| b64(c))
            || (last[..3].iter().all(|&c| b64(c)) && last[3] == b'=')
            || (last[..2].iter().all(|&c| b64(c)) && last[2] == b'=' && last[3] == b'='))
}

impl ExecPut {
    /// Checks the request against the manifest and builds the stored exec.
    pub fn resolve(&self, manifest: &RuntimeManifest) -> Result<Exec, ExecError> {
        let kind = self.kind.as_deref().ok_or(ExecError::MissingKind)?;
        if kind.trim().eq_ignore_ascii_case(SEQUENCE_KIND) {
            let names = self.components.as_ref().ok_or(ExecError::MissingComponents)?;
            let components =
                names.iter().map(|c| FullyQualifiedName::parse_qualified(c)).collect::<Result<Vec<_>, _>>()?;
            return Ok(Exec::Sequence { components });
        }
        if kind.trim().eq_ignore_ascii_case(BLACKBOX_KIND) && manifest.has_docker() {
            let image = self.image.clone().filter(|i| !i.trim().is_empty()).ok_or(ExecError::MissingImage)?;
            // An empty `code` is dropped, as OpenWhisk drops it.
            let code = self.code.clone().filter(|c| !c.is_empty());
            let binary = code.as_deref().is_some_and(looks_base64);
            return Ok(Exec::Blackbox { image, code, main: self.main.clone(), binary });
        }
        let rk = manifest.resolve(kind)?;
        if rk.deprecated {
            return Err(ExecError::Deprecated(rk.kind.clone()));
        }
        // `code` must be a string; an empty one is accepted, as OpenWhisk accepts it (the
        // sandbox's own check, e.g. the Wasm validation, still applies at create time).
        let code = self.code.clone().ok_or_else(|| ExecError::MissingCode(rk.kind.clone()))?;
        let binary = looks_base64(&code);
        Ok(Exec::Code { kind: CodeKind::parse(&rk.kind), code: Some(code), main: self.main.clone(), binary })
    }
}

impl Serialize for Exec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        match self {
            Exec::Code { kind, code, main, binary } => {
                m.serialize_entry("kind", kind.as_str())?;
                if let Some(c) = code {
                    m.serialize_entry("code", c)?;
                }
                if let Some(mn) = main {
                    m.serialize_entry("main", mn)?;
                }
                m.serialize_entry("binary", binary)?;
            }
            Exec::Blackbox { image, code, main, binary } => {
                m.serialize_entry("kind", BLACKBOX_KIND)?;
                m.serialize_entry("image", image)?;
                if let Some(c) = code {
                    m.serialize_entry("code", c)?;
                }
                if let Some(mn) = main {
                    m.serialize_entry("main", mn)?;
                }
                m.serialize_entry("binary", binary)?;
            }
            Exec::Sequence { components } => {
                m.serialize_entry("kind", SEQUENCE_KIND)?;
                let names: Vec<String> = components.iter().map(FullyQualifiedName::qualified).collect();
                m.serialize_entry("components", &names)?;
            }
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Exec {
    /// Reads a stored exec (no manifest check: stored kinds were resolved when written).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = ExecPut::deserialize(d)?;
        let kind = w.kind.ok_or_else(|| serde::de::Error::missing_field("kind"))?;
        if kind == SEQUENCE_KIND {
            let names = w.components.ok_or_else(|| serde::de::Error::missing_field("components"))?;
            let components = names
                .iter()
                .map(|c| FullyQualifiedName::parse_qualified(c))
                .collect::<Result<Vec<_>, _>>()
                .map_err(serde::de::Error::custom)?;
            Ok(Exec::Sequence { components })
        } else if kind == BLACKBOX_KIND {
            let image = w.image.ok_or_else(|| serde::de::Error::missing_field("image"))?;
            Ok(Exec::Blackbox { image, code: w.code, main: w.main, binary: w.binary.unwrap_or(false) })
        } else {
            Ok(Exec::Code {
                kind: CodeKind::parse(&kind),
                code: w.code,
                main: w.main,
                binary: w.binary.unwrap_or(false),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resolves_default_and_case() {
        let m = RuntimeManifest::default();
        assert_eq!(m.resolve(" WASM:default ").unwrap().kind, WASM_KIND);
        assert_eq!(m.resolve("wasm:wasip1").unwrap().kind, WASM_KIND);
    }

    #[test]
    fn unknown_kinds_list_the_valid_ones() {
        let m = RuntimeManifest::default();
        assert_eq!(
            m.resolve("cobol:85").unwrap_err().to_string(),
            "The specified runtime 'cobol:85' is not supported by this platform. Valid values are: 'wasm:wasip1'."
        );
    }

    #[test]
    fn binary_follows_the_base64_rule() {
        assert!(looks_base64("AGFzbQEAAAA="));
        assert!(looks_base64("AGFzbQEAAA=="));
        assert!(!looks_base64("function main(){}"));
        assert!(!looks_base64("abc"));
        assert!(!looks_base64(""));
        let put: ExecPut = serde_json::from_value(json!({"kind": "wasm:default", "code": "AGFzbQEAAAA="})).unwrap();
        let e = put.resolve(&RuntimeManifest::default()).unwrap();
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            json!({"kind": "wasm:wasip1", "code": "AGFzbQEAAAA=", "binary": true})
        );
    }

    #[test]
    fn docker_kinds_come_from_the_manifest_file() {
        let m = RuntimeManifest::with_docker_kinds(
            r#"{"kinds": [{"kind": "nodejs:18", "default": true, "image": "gust/runtime-nodejs:18",
                 "stemCells": [{"count": 2, "memory": 256}]}]}"#,
        )
        .unwrap();
        assert_eq!(
            m.resolve("nodejs:default").unwrap().sandbox,
            Sandbox::Docker { image: "gust/runtime-nodejs:18".into() }
        );
        assert_eq!(m.get("nodejs:18").unwrap().stem_cells, vec![StemCellSpec { count: 2, memory: 256 }]);
        assert!(m.has_docker());
        assert_eq!(
            m.resolve("go:1").unwrap_err().to_string(),
            "The specified runtime 'go:1' is not supported by this platform. Valid values are: 'wasm:wasip1', 'nodejs:18', 'blackbox'."
        );
    }

    #[test]
    fn code_is_required_but_may_be_empty() {
        let put: ExecPut = serde_json::from_value(json!({"kind": "wasm:wasip1"})).unwrap();
        assert_eq!(
            put.resolve(&RuntimeManifest::default()).unwrap_err().to_string(),
            "'code' must be a string defined in 'exec' for 'wasm:wasip1' actions"
        );
        let put: ExecPut = serde_json::from_value(json!({"kind": "wasm:wasip1", "code": ""})).unwrap();
        let e = put.resolve(&RuntimeManifest::default()).unwrap();
        assert_eq!(e.code(), Some(""));
        assert!(!e.binary());
        assert!(e.is_wasm());
    }

    #[test]
    fn sequences_store_qualified_components() {
        let put: ExecPut =
            serde_json::from_value(json!({"kind": "sequence", "components": ["/_/a", "/guest/utils/echo"]})).unwrap();
        let e = put.resolve(&RuntimeManifest::default()).unwrap();
        assert_eq!(e.kind(), "sequence");
        assert_eq!(e.components().unwrap()[1], FullyQualifiedName::new("guest/utils", "echo"));
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v, json!({"kind": "sequence", "components": ["/_/a", "/guest/utils/echo"]}));
        assert_eq!(serde_json::from_value::<Exec>(v).unwrap(), e);
        let bad: ExecPut = serde_json::from_value(json!({"kind": "sequence", "components": ["a"]})).unwrap();
        assert_eq!(
            bad.resolve(&RuntimeManifest::default()).unwrap_err().to_string(),
            "'a' is not a fully qualified action name (/namespace/[package/]name)."
        );
        let none: ExecPut = serde_json::from_value(json!({"kind": "sequence"})).unwrap();
        assert_eq!(none.resolve(&RuntimeManifest::default()).unwrap_err(), ExecError::MissingComponents);
    }

    #[test]
    fn kinds_are_typed() {
        assert_eq!(CodeKind::parse("wasm:wasip1"), CodeKind::Wasm);
        assert_eq!(CodeKind::parse("nodejs:18"), CodeKind::Container("nodejs:18".into()));
        assert_eq!(CodeKind::Container("python:3.11".into()).as_str(), "python:3.11");
    }
}
