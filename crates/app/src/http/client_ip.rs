//! Who is asking: the client's IP address for rate limits and the access log.
//!
//! Without configured proxies it is the TCP peer, and `X-Forwarded-For` is ignored (anyone
//! can send it). When the peer is one of `server.trusted_proxies`, the header is read from
//! the right: each proxy appends the address it received from, so the first address from
//! the right that is not itself a trusted proxy is the client. A header that does not parse
//! stops the walk at the last address believed.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request};
use ipnet::IpNet;

/// The client address of `request`, or `None` when the peer is unknown (in-process tests).
pub fn client_ip(request: &Request, trusted: &[IpNet]) -> Option<IpAddr> {
    client_ip_of(request.extensions(), request.headers(), trusted)
}

/// [`client_ip`] from a request's parts, for handlers.
pub fn client_ip_of(
    extensions: &axum::http::Extensions,
    headers: &axum::http::HeaderMap,
    trusted: &[IpNet],
) -> Option<IpAddr> {
    let peer = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())?;
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    Some(resolve(peer, &forwarded, trusted))
}

fn is_trusted(ip: IpAddr, trusted: &[IpNet]) -> bool {
    let ip = canonical(ip);
    trusted.iter().any(|net| net.contains(&ip))
}

/// `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) compares as `10.0.0.1`.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

fn resolve(peer: IpAddr, forwarded: &str, trusted: &[IpNet]) -> IpAddr {
    let mut client = canonical(peer);
    if !is_trusted(client, trusted) {
        return client;
    }
    for hop in forwarded.rsplit(',') {
        let Ok(ip) = hop.trim().parse::<IpAddr>() else {
            break;
        };
        client = canonical(ip);
        if !is_trusted(client, trusted) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().expect("net")).collect()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("ip")
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        assert_eq!(
            resolve(ip("203.0.113.9"), "1.2.3.4", &[]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn an_untrusted_peer_cannot_claim_another_address() {
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(
            resolve(ip("198.51.100.7"), "1.2.3.4", &trusted),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let trusted = nets(&["10.0.0.0/8", "127.0.0.1/32"]);
        // The client forged "6.6.6.6"; the edge proxy appended the real peer, 203.0.113.9.
        let chain = "6.6.6.6, 203.0.113.9, 10.1.2.3";
        assert_eq!(resolve(ip("127.0.0.1"), chain, &trusted), ip("203.0.113.9"));
    }

    #[test]
    fn a_missing_or_garbled_header_leaves_the_last_believed_address() {
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(resolve(ip("10.0.0.2"), "", &trusted), ip("10.0.0.2"));
        assert_eq!(
            resolve(ip("10.0.0.2"), "junk, 10.0.0.9", &trusted),
            ip("10.0.0.9")
        );
    }

    #[test]
    fn ipv4_mapped_peers_match_ipv4_ranges() {
        let trusted = nets(&["127.0.0.0/8"]);
        assert_eq!(
            resolve(ip("::ffff:127.0.0.1"), "2001:db8::5", &trusted),
            ip("2001:db8::5")
        );
    }
}
