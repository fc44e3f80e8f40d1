//! [`WsUrl`]: the parts of a `ws://` or `wss://` URL a client needs.
//!
//! Parses only what RFC 6455 section 3 allows: a scheme, a host (a name,
//! an IPv4 literal or a bracketed IPv6 literal), an optional port, and a
//! resource name (path and query). No user info, no fragment. Never
//! resolves a name or touches the network.

#![forbid(unsafe_code)]

use std::net::Ipv6Addr;

/// A parsed WebSocket URL.
///
/// # Examples
///
/// ```
/// use tickwire::ws::WsUrl;
///
/// let url = WsUrl::parse("wss://stream.example.com/ws?depth=10").unwrap();
/// assert!(url.is_secure());
/// assert_eq!(url.host(), "stream.example.com");
/// assert_eq!(url.port(), 443);
/// assert_eq!(url.resource(), "/ws?depth=10");
/// assert_eq!(url.host_header(), "stream.example.com");
///
/// let v6 = WsUrl::parse("ws://[::1]:9000").unwrap();
/// assert_eq!(v6.host(), "::1");
/// assert_eq!(v6.host_header(), "[::1]:9000");
/// assert_eq!(v6.resource(), "/");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsUrl {
    secure: bool,
    host: String,
    port: u16,
    resource: String,
    host_header: String,
}

impl WsUrl {
    /// Parses `url`.
    ///
    /// # Errors
    ///
    /// A short reason when the scheme is not `ws` or `wss`, the host is
    /// empty or malformed, the port is not a number from 1 to 65535, or the
    /// URL holds user info, a fragment, whitespace or a control byte.
    pub fn parse(url: &str) -> Result<Self, &'static str> {
        if url.bytes().any(|b| b <= b' ' || b == 0x7F) {
            return Err("whitespace or a control byte in the URL");
        }
        let (secure, rest) = if let Some(rest) = strip_prefix_ignore_case(url, "wss://") {
            (true, rest)
        } else if let Some(rest) = strip_prefix_ignore_case(url, "ws://") {
            (false, rest)
        } else {
            return Err("the scheme must be ws:// or wss://");
        };
        if rest.contains('#') {
            return Err("a fragment is not allowed in a WebSocket URL");
        }
        let split = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, resource) = rest.split_at(split);
        if authority.contains('@') {
            return Err("user info is not allowed in the URL");
        }
        let (host, port_text) = if let Some(v6) = authority.strip_prefix('[') {
            let end = v6.find(']').ok_or("unclosed '[' in the host")?;
            let host = &v6[..end];
            if host.parse::<Ipv6Addr>().is_err() {
                return Err("malformed IPv6 address");
            }
            match &v6[end + 1..] {
                "" => (host, None),
                p => (host, Some(p.strip_prefix(':').ok_or("junk after ']'")?)),
            }
        } else {
            let (host, port) = match authority.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            };
            if host.contains(':') {
                return Err("an IPv6 literal must be in brackets");
            }
            (host, port)
        };
        if host.is_empty() {
            return Err("empty host");
        }
        let bracketed_v6 = authority.starts_with('[');
        if !bracketed_v6
            && !host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
        {
            return Err("malformed host name");
        }
        let port = match port_text {
            None | Some("") => {
                if secure {
                    443
                } else {
                    80
                }
            }
            Some(p) => match p.parse::<u16>() {
                Ok(port) if port != 0 && p.bytes().all(|b| b.is_ascii_digit()) => port,
                _ => return Err("the port must be a number from 1 to 65535"),
            },
        };
        let resource = if resource.starts_with('?') {
            format!("/{resource}")
        } else if resource.is_empty() {
            "/".to_owned()
        } else {
            resource.to_owned()
        };
        let default_port = if secure { 443 } else { 80 };
        let bracketed = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.to_owned()
        };
        let host_header = if port == default_port {
            bracketed
        } else {
            format!("{bracketed}:{port}")
        };
        Ok(Self {
            secure,
            host: host.to_ascii_lowercase(),
            port,
            resource,
            host_header,
        })
    }

    /// Whether the scheme is `wss` (TLS).
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// The host to connect to and verify: a name, or an IP literal without
    /// brackets.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port (80 or 443 when the URL gives none).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The request target: the path and query, `/` when the URL has none.
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The `Host` header value: the host (bracketed if IPv6), with the port
    /// unless it is the scheme's default.
    pub fn host_header(&self) -> &str {
        &self.host_header
    }
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::WsUrl;

    #[test]
    fn parses_the_usual_shapes() {
        let u = WsUrl::parse("ws://127.0.0.1:9001/echo").unwrap();
        assert_eq!(
            (u.host(), u.port(), u.resource()),
            ("127.0.0.1", 9001, "/echo")
        );
        assert_eq!(u.host_header(), "127.0.0.1:9001");
        let u = WsUrl::parse("WSS://Example.COM?x=1").unwrap();
        assert_eq!(
            (u.host(), u.port(), u.resource()),
            ("example.com", 443, "/?x=1")
        );
        let u = WsUrl::parse("ws://[2001:db8::1]/a").unwrap();
        assert_eq!(
            (u.host(), u.port(), u.host_header()),
            ("2001:db8::1", 80, "[2001:db8::1]")
        );
    }

    #[test]
    fn refuses_what_it_cannot_use() {
        for bad in [
            "http://x/",
            "ws://",
            "ws:///path",
            "ws://user@host/",
            "ws://host:0/",
            "ws://host:65536/",
            "ws://host:+80/",
            "ws://host/#frag",
            "ws://ho st/",
            "ws://host/\r\nX: y",
            "ws://[::1/",
            "ws://[zz::1]/",
            "ws://[::1]x/",
            "ws://a:b:c/",
            "ws://::",
            "ws://a:b:80/",
            "ws://é.example/",
        ] {
            assert!(WsUrl::parse(bad).is_err(), "{bad} should be refused");
        }
    }
}
