//! [`Target`]: where and how to connect — an address parsed and checked against the TLS
//! decision, with errors that name the fix.

use http::Uri;
use http::uri::Authority;

use crate::tls::TlsOptions;

/// Whether to use TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TlsMode {
    /// On with default settings when an API key is set (or the address says `https://`).
    Auto,
    /// On, with these settings.
    On(TlsOptions),
    /// Off.
    Off,
}

/// Where and how to connect, after checking the address against the TLS decision.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// `http://host:port` or `https://host:port`.
    pub(crate) uri: Uri,
    /// The host, for the default TLS server name.
    pub(crate) host: String,
    /// TLS settings when TLS is on.
    pub(crate) tls: Option<TlsOptions>,
}

/// Parses the address and decides TLS. The error is a reason with a fix, for the caller to
/// wrap in its own error.
pub(crate) fn parse_address(
    address: &str,
    tls_mode: &TlsMode,
    has_api_key: bool,
) -> Result<Target, String> {
    let address = address.trim();
    if address.is_empty() {
        return Err("the address is empty; use host:port, e.g. localhost:7233".to_owned());
    }
    let (scheme, rest) = match address.split_once("://") {
        Some((scheme, rest)) => (Some(scheme.to_ascii_lowercase()), rest),
        None => (None, address),
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if scheme.as_deref() == Some("") {
        return Err("there is nothing before `://`; use host:port, e.g. localhost:7233".to_owned());
    }
    if let Some(scheme) = &scheme
        && scheme != "http"
        && scheme != "https"
    {
        return Err(format!(
            "unsupported scheme `{scheme}://`; use host:port, e.g. localhost:7233"
        ));
    }
    if rest.contains('/') || rest.contains('?') {
        return Err("an address has no path; use host:port, e.g. localhost:7233".to_owned());
    }
    let authority: Authority = rest
        .parse()
        .map_err(|_| format!("`{rest}` is not host:port; use e.g. localhost:7233"))?;
    if authority.host().is_empty() {
        return Err("the host is missing; use host:port, e.g. localhost:7233".to_owned());
    }
    if authority.as_str().contains('@') {
        return Err(
            "credentials in the address are not supported; use an API key instead".to_owned(),
        );
    }
    let after_host = authority
        .as_str()
        .rsplit_once(']')
        .map_or(authority.as_str(), |(_, rest)| rest);
    if let Some((_, port)) = after_host.rsplit_once(':')
        && port.parse::<u16>().is_err()
    {
        return Err(format!(
            "the port `{port}` is not a number from 1 to 65535; use e.g. {}:7233",
            authority.host()
        ));
    }
    if authority.port_u16().is_none() {
        return Err(format!(
            "the port is missing; add it, e.g. {}:7233",
            authority.host()
        ));
    }

    let tls = match (&scheme.as_deref(), tls_mode) {
        (Some("https"), TlsMode::Off) => {
            return Err(
                "the address uses https:// but TLS is disabled; drop https:// or enable TLS"
                    .to_owned(),
            );
        }
        (Some("http"), TlsMode::On(_)) => {
            return Err(
                "the address uses http:// but TLS is enabled; drop http:// or disable TLS"
                    .to_owned(),
            );
        }
        (Some("http"), TlsMode::Auto) if has_api_key => {
            return Err("the address uses http:// but the API key turns TLS on; drop http://, or disable TLS (tls.disabled = true, TEMPORAL_TLS=false or disable_tls()) to send the key in plain text".to_owned());
        }
        (_, TlsMode::On(tls)) => Some(tls.clone()),
        (_, TlsMode::Off) => None,
        (Some("https"), TlsMode::Auto) => Some(TlsOptions::new()),
        (_, TlsMode::Auto) => has_api_key.then(TlsOptions::new),
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let uri = Uri::builder()
        .scheme(scheme)
        .authority(authority.clone())
        .path_and_query("/")
        .build()
        .map_err(|e| format!("cannot build a URI from it ({e}); use host:port"))?;
    Ok(Target {
        uri,
        host: authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned(),
        tls,
    })
}
