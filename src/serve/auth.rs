//! Bearer tokens: every endpoint but `/healthz` needs
//! `Authorization: Bearer <token>`, the token read from `--token-file`.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::error::ApiError;
use super::state::AppState;

/// Paths open without a token.
const OPEN: [&str; 1] = ["/healthz"];

pub async fn require_token(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    if OPEN.contains(&request.uri().path()) {
        return next.run(request).await;
    }
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        // The scheme is case-insensitive (RFC 9110 §11.1): `bearer` too.
        .and_then(|(scheme, token)| scheme.eq_ignore_ascii_case("Bearer").then_some(token))
        .map(str::trim);
    let message = match given {
        Some(token) if same(token.as_bytes(), state.settings.token.as_bytes()) => {
            return next.run(request).await;
        }
        Some(_) => "the bearer token is not the service's",
        None => "this endpoint needs an `Authorization: Bearer <token>` header",
    };
    let mut response =
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message).into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// Compares the SHA-256 digests of both with a fold over every byte, so
/// the time taken says nothing of the token, not even its length.
fn same(a: &[u8], b: &[u8]) -> bool {
    let (a, b) = (Sha256::digest(a), Sha256::digest(b));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// Reads the token: the file's content without surrounding whitespace.
pub fn read_token(path: &std::path::Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the token file {}: {e}", path.display()))?;
    let token = text.trim().to_string();
    if token.is_empty() {
        return Err(format!("the token file {} is empty", path.display()));
    }
    if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("the token in {} holds whitespace", path.display()));
    }
    Ok(token)
}

/// A warning when the token file can be read by others than its owner.
pub fn token_file_warning(path: &std::path::Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode();
        (mode & 0o077 != 0).then(|| {
            format!(
                "the token file {} can be read by group or others (mode {:03o}); restrict it with `chmod 600 {}`",
                path.display(),
                mode & 0o777,
                path.display()
            )
        })
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_equal_only_when_equal_whatever_their_lengths() {
        assert!(same(b"secret-token", b"secret-token"));
        assert!(!same(b"secret-token", b"secret-tokem"));
        assert!(!same(b"secret-token", b"secret-token-longer"));
        assert!(!same(b"secret", b""));
        assert!(same(b"", b""));
    }

    #[cfg(unix)]
    #[test]
    fn a_token_file_readable_by_others_is_warned_of() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "t0ken\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let warning = token_file_warning(&path).expect("a warning");
        assert!(
            warning.contains("chmod 600") && warning.contains("644"),
            "{warning}"
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(token_file_warning(&path), None);
    }
}
