//! Request parsing with OpenWhisk's errors: bodies read within a limit (413), JSON bodies
//! (415, 400), query booleans and integers, and the namespace / entity-name rules of URL
//! segments.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, header};
use bytes::BytesMut;
use gust_core::names::{self, FullyQualifiedName};
use gust_core::subject::Identity;
use http_body_util::BodyExt as _;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ApiResult};

/// True when the request says its body is JSON (`application/json` or `*+json`).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
        .is_some_and(|ct| ct == "application/json" || ct.ends_with("+json"))
}

/// Parses a JSON body that must be present and of type `T` (PUT bodies).
pub(crate) fn json_body<T: DeserializeOwned>(headers: &HeaderMap, body: &Bytes) -> ApiResult<T> {
    if !is_json(headers) {
        return Err(ApiError::UnsupportedMediaType);
    }
    serde_json::from_slice(body).map_err(malformed)
}

/// A body that does not parse (with where, for syntax errors) or does not fit the schema
/// (OpenWhisk's message alone, e.g. `parameters malformed!`).
fn malformed(e: serde_json::Error) -> ApiError {
    let text = e.to_string();
    match e.classify() {
        serde_json::error::Category::Data => {
            ApiError::Malformed(text.rsplit_once(" at line ").map_or(text.clone(), |(m, _)| m.to_owned()))
        }
        _ => ApiError::Malformed(text),
    }
}

/// Parses an optional JSON object body (invoke): empty means none; `application/json` with an
/// empty body means `{}`.
pub(crate) fn optional_object(
    headers: &HeaderMap,
    body: &Bytes,
) -> ApiResult<Option<serde_json::Map<String, serde_json::Value>>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(if is_json(headers) { Some(serde_json::Map::new()) } else { None });
    }
    if !is_json(headers) {
        return Err(ApiError::UnsupportedMediaType);
    }
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(m)) => Ok(Some(m)),
        Ok(_) => Err(ApiError::Malformed("the payload must be a JSON object".into())),
        Err(e) => Err(malformed(e)),
    }
}

/// Reads a request body of at most `max` bytes, as OpenWhisk refuses larger ones (413):
/// a `Content-Length` above `max` is refused before any of the body is read, and a body
/// without one (chunked) is cut as soon as it passes `max`. Memory stays within `max`.
pub(crate) async fn body(headers: &HeaderMap, body: Body, max: usize) -> ApiResult<Bytes> {
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if let Some(size) = declared.filter(|&n| n > max as u64) {
        return Err(too_large(size, max));
    }
    let mut body = body;
    let mut read = BytesMut::with_capacity(declared.map_or(0, |n| n as usize));
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ApiError::BadRequest(format!("The request body could not be read: {e}")))?;
        if let Ok(data) = frame.into_data() {
            if read.len() + data.len() > max {
                return Err(too_large((read.len() + data.len()) as u64, max));
            }
            read.extend_from_slice(&data);
        }
    }
    Ok(read.freeze())
}

/// OpenWhisk's 413 for a request of `size` bytes (or more) past `max`, whose body was not
/// read whole.
fn too_large(size: u64, max: usize) -> ApiError {
    ApiError::BodyTooLarge(format!("Request larger than allowed: {size} > {max} bytes."))
}

/// A query boolean: true/false, yes/no, on/off, 1/0 (any case); absent is `default`.
pub(crate) fn query_bool(param: &'static str, value: Option<&str>, default: bool) -> ApiResult<bool> {
    let Some(v) = value else { return Ok(default) };
    match v.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Ok(true),
        "false" | "no" | "off" | "0" => Ok(false),
        _ => Err(ApiError::BadQuery { param, detail: format!("'{v}' is not a valid boolean value") }),
    }
}

/// `skip` and `limit` of a list, with OpenWhisk's bounds and messages.
pub(crate) fn paging(collection: &str, skip: Option<&str>, limit: Option<&str>) -> ApiResult<(usize, usize)> {
    let int = |v: &str| {
        v.trim()
            .parse::<i64>()
            .map_err(|_| ApiError::BadRequest(format!("The value '{v}' is not an integer for {collection}.")))
    };
    let skip = match skip {
        None => 0,
        Some(v) => {
            let n = int(v)?;
            if n < 0 {
                return Err(ApiError::BadRequest(format!(
                    "The value '{n}' is not greater than or equal to 0 for {collection}."
                )));
            }
            n as usize
        }
    };
    let limit = match limit {
        None => 30,
        Some(v) => match int(v)? {
            0 => 200,
            n @ 1..=200 => n as usize,
            n => {
                return Err(ApiError::BadRequest(format!(
                    "The value '{n}' is not in the range of 0 to 200 for {collection}."
                )));
            }
        },
    };
    Ok((skip, limit))
}

/// The namespace a URL segment names (`_` is the caller's), validated.
pub(crate) fn namespace(caller: &Identity, segment: &str) -> ApiResult<String> {
    if segment == "_" {
        return Ok(caller.namespace.clone());
    }
    names::validate_namespace(segment).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    Ok(segment.to_owned())
}

/// The fully qualified name of `ns[/pkg]/name`, every segment validated. (Entitlement depends
/// on the resource: the caller decides it, see [`crate::entitle`].)
pub(crate) fn entity(caller: &Identity, ns: &str, pkg: Option<&str>, name: &str) -> ApiResult<FullyQualifiedName> {
    let ns = namespace(caller, ns)?;
    if let Some(p) = pkg {
        names::validate_entity_name(p).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    }
    names::validate_entity_name(name).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let path = match pkg {
        Some(p) => format!("{ns}/{p}"),
        None => ns,
    };
    Ok(FullyQualifiedName::new(path, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_accept_openwhisk_spellings() {
        for t in ["true", "YES", "on", "1"] {
            assert!(query_bool("blocking", Some(t), false).unwrap());
        }
        for f in ["false", "No", "OFF", "0"] {
            assert!(!query_bool("blocking", Some(f), true).unwrap());
        }
        assert!(query_bool("blocking", None, true).unwrap());
        let e = query_bool("blocking", Some("maybe"), false).unwrap_err();
        assert!(e.to_string().starts_with("The query parameter 'blocking' was malformed:"));
    }

    #[test]
    fn paging_follows_openwhisk_bounds() {
        assert_eq!(paging("actions", None, None).unwrap(), (0, 30));
        assert_eq!(paging("actions", Some("5"), Some("0")).unwrap(), (5, 200));
        assert_eq!(
            paging("actions", None, Some("201")).unwrap_err().to_string(),
            "The value '201' is not in the range of 0 to 200 for actions."
        );
        assert_eq!(
            paging("actions", Some("-1"), None).unwrap_err().to_string(),
            "The value '-1' is not greater than or equal to 0 for actions."
        );
        assert_eq!(
            paging("actions", Some("x"), None).unwrap_err().to_string(),
            "The value 'x' is not an integer for actions."
        );
    }
}
