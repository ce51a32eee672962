//! The Docker bridge's gateway: the host's own address on the `bridge` network, the one
//! address of the host that action containers can reach (they cannot reach its loopback).

use std::net::{IpAddr, Ipv4Addr};

use bollard::models::Ipam;

use super::client::{Docker, DockerError};

/// The network action containers are attached to.
const BRIDGE_NETWORK: &str = "bridge";

/// The gateway of the local Docker daemon's `bridge` network (e.g. 172.17.0.1), an address of
/// this host that containers on that network reach; `Ok(None)` when the network has no IPv4
/// subnet to tell it from.
pub async fn bridge_gateway() -> Result<Option<IpAddr>, DockerError> {
    // The name only labels containers, and this connection creates none.
    let docker = Docker::connect("gateway".to_owned()).await?;
    Ok(docker.network_ipam(BRIDGE_NETWORK).await?.as_ref().and_then(gateway_of))
}

/// The IPv4 gateway of a network's address settings: the configured `Gateway` when there is
/// one; otherwise the first host address of its subnet, which is what Docker's default address
/// manager gives the bridge (the default `bridge` network of Docker 20.10 lists its subnet
/// without a gateway).
fn gateway_of(ipam: &Ipam) -> Option<IpAddr> {
    let configs = ipam.config.as_deref().unwrap_or_default();
    let configured = configs.iter().filter_map(|c| c.gateway.as_deref()).find_map(|g| {
        // Seen both bare and in CIDR form.
        let bare = g.split_once('/').map_or(g, |(ip, _)| ip);
        bare.trim().parse::<Ipv4Addr>().ok()
    });
    let derived = || configs.iter().filter_map(|c| c.subnet.as_deref()).find_map(first_host);
    configured.or_else(derived).map(IpAddr::V4)
}

/// The first host address of an IPv4 subnet in CIDR form (`172.17.0.0/16` → `172.17.0.1`);
/// `None` for anything else, and for subnets too small to have a gateway (/31, /32).
fn first_host(subnet: &str) -> Option<Ipv4Addr> {
    let (ip, len) = subnet.trim().split_once('/')?;
    let ip: Ipv4Addr = ip.parse().ok()?;
    let len: u32 = len.parse().ok()?;
    if len > 30 {
        return None;
    }
    let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
    Some(Ipv4Addr::from((u32::from(ip) & mask) + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::IpamConfig;

    fn ipam(configs: &[(Option<&str>, Option<&str>)]) -> Ipam {
        Ipam {
            config: Some(
                configs
                    .iter()
                    .map(|(subnet, gateway)| IpamConfig {
                        subnet: subnet.map(str::to_owned),
                        gateway: gateway.map(str::to_owned),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        }
    }

    fn v4(s: &str) -> Option<IpAddr> {
        Some(IpAddr::V4(s.parse().unwrap()))
    }

    #[test]
    fn a_configured_gateway_wins() {
        assert_eq!(gateway_of(&ipam(&[(Some("172.18.0.0/16"), Some("172.18.0.254"))])), v4("172.18.0.254"));
        assert_eq!(gateway_of(&ipam(&[(Some("10.9.0.0/24"), Some("10.9.0.7/24"))])), v4("10.9.0.7"));
    }

    #[test]
    fn without_one_the_subnet_gives_its_first_host() {
        // What Debian's Docker 20.10 reports for its default bridge.
        assert_eq!(gateway_of(&ipam(&[(Some("172.17.0.0/16"), None)])), v4("172.17.0.1"));
        // Host bits in the subnet are ignored.
        assert_eq!(gateway_of(&ipam(&[(Some("192.168.5.77/24"), None)])), v4("192.168.5.1"));
        assert_eq!(gateway_of(&ipam(&[(Some("10.0.0.0/8"), None)])), v4("10.0.0.1"));
        assert_eq!(gateway_of(&ipam(&[(Some("0.0.0.0/0"), None)])), v4("0.0.0.1"));
    }

    #[test]
    fn ipv4_is_preferred_and_unusable_entries_are_skipped() {
        let mixed = ipam(&[(Some("fd00:1::/64"), Some("fd00:1::1")), (Some("172.20.0.0/16"), None)]);
        assert_eq!(gateway_of(&mixed), v4("172.20.0.1"));
        let junk = ipam(&[(Some("not a subnet"), Some("nonsense")), (Some("172.21.0.0/16"), None)]);
        assert_eq!(gateway_of(&junk), v4("172.21.0.1"));
        assert_eq!(gateway_of(&ipam(&[(Some("10.1.1.1/32"), None), (Some("10.1.1.0/31"), None)])), None);
        assert_eq!(gateway_of(&ipam(&[])), None);
        assert_eq!(gateway_of(&Ipam::default()), None);
    }
}
