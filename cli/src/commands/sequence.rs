//! `--sequence A,B,...`: the `exec` of a sequence action, its components fully qualified as
//! `wsk` qualifies them.
//!
//! A name without a leading `/` is in the settings' namespace (`_`, the caller's own, unless
//! the settings name one): `a` becomes `/_/a` and `pkg/a` becomes `/_/pkg/a`. A fully
//! qualified name (`/ns/a`, `/ns/pkg/a`) is kept as it is.

use serde_json::{Value, json};

use crate::client::{ClientError, NameKind, split_name};

/// The `exec` of a sequence of the comma-separated actions of `list`:
/// `{"kind": "sequence", "components": ["/ns/a", ...]}`.
pub(crate) fn sequence_exec(namespace: &str, list: &str) -> Result<Value, ClientError> {
    Ok(json!({"kind": "sequence", "components": components(namespace, list)?}))
}

/// Each comma-separated action name of `list` (blanks around a name are dropped), fully
/// qualified: relative names in `namespace`, qualified ones as they are.
pub(crate) fn components(namespace: &str, list: &str) -> Result<Vec<String>, ClientError> {
    if list.trim().is_empty() {
        return Err(ClientError::InvalidArgument(
            "--sequence needs the actions to run, in order: --sequence A,B,...".into(),
        ));
    }
    list.split(',')
        .enumerate()
        .map(|(i, raw)| {
            let name = raw.trim();
            if name.is_empty() {
                return Err(ClientError::InvalidArgument(format!(
                    "--sequence '{list}': action {} has no name (a stray comma?)",
                    i + 1
                )));
            }
            let parts = split_name(name, NameKind::Entity)
                .map_err(|e| ClientError::InvalidArgument(format!("--sequence: {e}")))?;
            Ok(match parts.namespace {
                Some(_) => name.to_owned(),
                None => format!("/{namespace}/{name}"),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_names_go_to_the_default_namespace() {
        assert_eq!(components("_", "a").unwrap(), ["/_/a"]);
        assert_eq!(components("_", "a,pkg/b").unwrap(), ["/_/a", "/_/pkg/b"]);
        assert_eq!(components("team", "a,pkg/b").unwrap(), ["/team/a", "/team/pkg/b"]);
    }

    #[test]
    fn qualified_names_are_kept() {
        assert_eq!(components("_", "a,/other/pkg/c,/guest/d").unwrap(), ["/_/a", "/other/pkg/c", "/guest/d"]);
        assert_eq!(components("team", "/_/x").unwrap(), ["/_/x"]);
    }

    #[test]
    fn order_and_repeats_are_kept_and_blanks_dropped() {
        assert_eq!(components("_", " b , a,b").unwrap(), ["/_/b", "/_/a", "/_/b"]);
        assert_eq!(components("_", "say hi").unwrap(), ["/_/say hi"]);
    }

    #[test]
    fn empty_names_are_errors() {
        for list in ["", "  ", "a,,b", "a,", ",a"] {
            let err = components("_", list).unwrap_err();
            assert!(matches!(err, ClientError::InvalidArgument(_)), "{list:?}: {err:?}");
        }
        assert!(components("_", "a,,b").unwrap_err().to_string().contains("action 2 has no name"));
        assert!(components("_", "").unwrap_err().to_string().contains("--sequence A,B"));
    }

    #[test]
    fn names_that_cannot_be_actions_are_errors() {
        for bad in ["a/b/c", "/ns", "/", "/ns/p/a/b", "pkg/", "/ns//a"] {
            let err = components("_", &format!("ok,{bad}")).unwrap_err();
            assert!(err.to_string().contains("is not a valid entity name"), "{bad:?}: {err}");
        }
    }

    #[test]
    fn the_exec_is_a_sequence() {
        assert_eq!(
            sequence_exec("_", "a,/whisk.system/utils/echo").unwrap(),
            json!({"kind": "sequence", "components": ["/_/a", "/whisk.system/utils/echo"]})
        );
    }
}
