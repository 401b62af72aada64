//! Pure: the order the farm's servers are updated in. The rules are the catalog's data:
//! roles by `rollout_rank`, and, where `rollout.cluster` says so, a clustered server's SCR
//! targets before any of its nodes and its passive nodes before its active node. Servers no
//! rule orders go by rank, then the role's place in the catalog, then name.

use std::collections::{BTreeMap, BTreeSet};

use super::{Farm, FarmError, FarmErrorKind, Server};
use crate::catalog::model::Catalog;

/// Server indices (into `farm.servers`) in rollout order; an error when the rules go round
/// in a circle (a node of one cluster being the SCR target of another, and back).
pub fn order(farm: &Farm, catalog: &Catalog) -> Result<Vec<usize>, FarmError> {
    let n = farm.servers.len();
    let key = |i: usize| {
        let s = &farm.servers[i];
        let (rank, pos) = catalog
            .roles
            .iter()
            .enumerate()
            .find(|(_, r)| r.id == s.role.value)
            .map_or((u32::MAX, usize::MAX), |(p, r)| (r.rollout_rank, p));
        (rank, pos, s.name.value.to_ascii_lowercase(), i)
    };
    let rules = catalog.rollout.as_ref().and_then(|r| r.cluster.as_ref());
    let cluster_of = |s: &Server| s.cluster.as_ref().map(|c| c.value.to_ascii_lowercase());
    // before[b] = the servers that must come before b.
    let mut before: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
    for (b, before_b) in before.iter_mut().enumerate() {
        for a in 0..n {
            if a == b {
                continue;
            }
            let (sa, sb) = (&farm.servers[a], &farm.servers[b]);
            let (ka, kb) = (key(a), key(b));
            let mut must = ka.0 < kb.0;
            if let Some(r) = rules {
                // Seed 001 lines 39-43: "apply the update rollup first to the SCR target
                // computers", then the clustered mailbox server that is the SCR source.
                if r.scr_targets_first
                    && let (Some(src), Some(c)) = (&sa.scr_target_of, cluster_of(sb))
                    && src.value.to_ascii_lowercase() == c
                {
                    must = true;
                }
                // Seeds 001 lines 9-25 and 003 lines 3-4, 20: passive nodes first, so that
                // the clustered server moves once.
                if r.passive_first
                    && cluster_of(sa).is_some()
                    && cluster_of(sa) == cluster_of(sb)
                    && !sa.is_active()
                    && sb.is_active()
                {
                    must = true;
                }
            }
            if must {
                before_b.insert(a);
            }
        }
    }
    let mut ready: BTreeSet<_> = (0..n).filter(|&i| before[i].is_empty()).map(key).collect();
    let mut done = vec![false; n];
    let mut out = Vec::with_capacity(n);
    while let Some(k) = ready.pop_first() {
        let i = k.3;
        done[i] = true;
        out.push(i);
        for j in 0..n {
            if !done[j] && before[j].remove(&i) && before[j].is_empty() {
                ready.insert(key(j));
            }
        }
    }
    if out.len() == n {
        return Ok(out);
    }
    let stuck: BTreeMap<usize, &Server> = (0..n)
        .filter(|&i| !done[i])
        .map(|i| (i, &farm.servers[i]))
        .collect();
    let line = stuck
        .values()
        .filter_map(|s| s.scr_target_of.as_ref().map(|l| l.line))
        .min()
        .unwrap_or(0);
    Err(FarmError::new(
        &farm.path,
        line,
        FarmErrorKind::OrderCycle {
            servers: stuck
                .values()
                .map(|s| s.name.value.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        },
    ))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::error::Diagnostic as _;
    use crate::farm::parse;

    fn catalog() -> Catalog {
        serde_json::from_value(serde_json::json!({
            "schema_version": 1, "id": "ex", "title": "Ex",
            "components": [{"id": "c", "title": "C", "families": ["f"]}],
            "roles": [
                {"id": "hub", "title": "Hub", "rollout_rank": 1},
                {"id": "cas", "title": "CAS", "rollout_rank": 1},
                {"id": "mailbox", "title": "Mailbox", "rollout_rank": 2}
            ],
            "releases": [],
            "rollout": {"cluster": {"roles": ["mailbox"], "passive_first": true,
                                    "scr_targets_first": true},
                        "phases": []}
        }))
        .unwrap()
    }

    fn names(toml: &str) -> Result<Vec<String>, FarmError> {
        let farm = parse(toml, Path::new("f.toml")).unwrap();
        order(&farm, &catalog()).map(|o| {
            o.into_iter()
                .map(|i| farm.servers[i].name.value.clone())
                .collect()
        })
    }

    fn server(name: &str, role: &str, extra: &str) -> String {
        format!("[[server]]\nname = \"{name}\"\nrole = \"{role}\"\n{extra}\n")
    }

    #[test]
    fn the_order_follows_ranks_scr_targets_and_passive_nodes() {
        // (farm, expected order)
        let cases: Vec<(String, &[&str])> = vec![
            // rank: mailbox after CAS and hub; same rank by the role's place, then name.
            (
                server("MBX", "mailbox", "")
                    + &server("CAS2", "cas", "")
                    + &server("HUB", "hub", "")
                    + &server("CAS1", "cas", ""),
                &["HUB", "CAS1", "CAS2", "MBX"],
            ),
            // passive node before the active node, whatever the names say.
            (
                server("A-ACTIVE", "mailbox", "cluster = \"CMS\"\nactive = true")
                    + &server("Z-PASSIVE", "mailbox", "cluster = \"CMS\""),
                &["Z-PASSIVE", "A-ACTIVE"],
            ),
            // SCR target before every node of its source.
            (
                server("N1", "mailbox", "cluster = \"CMS\"\nactive = true")
                    + &server("N2", "mailbox", "cluster = \"CMS\"")
                    + &server("ZSCR", "mailbox", "scr_target_of = \"cms\""),
                &["ZSCR", "N2", "N1"],
            ),
            // two clusters: each keeps its own rule, the rest by name.
            (
                server("B1", "mailbox", "cluster = \"CMSB\"\nactive = true")
                    + &server("B2", "mailbox", "cluster = \"CMSB\"")
                    + &server("A1", "mailbox", "cluster = \"CMSA\"")
                    + &server("A2", "mailbox", "cluster = \"CMSA\"\nactive = true"),
                &["A1", "A2", "B2", "B1"],
            ),
        ];
        for (toml, want) in cases {
            assert_eq!(names(&toml).unwrap(), want, "{toml}");
        }
    }

    #[test]
    fn scr_targets_that_are_nodes_of_each_other_are_a_cycle() {
        let toml = server(
            "A1",
            "mailbox",
            "cluster = \"CMSA\"\nactive = true\nscr_target_of = \"CMSB\"",
        ) + &server("A2", "mailbox", "cluster = \"CMSA\"")
            + &server(
                "B1",
                "mailbox",
                "cluster = \"CMSB\"\nactive = true\nscr_target_of = \"CMSA\"",
            )
            + &server("B2", "mailbox", "cluster = \"CMSB\"");
        let e = names(&toml).unwrap_err();
        assert_eq!(e.code(), "farm-order-cycle");
        assert_eq!(e.line, 6, "{e}");
    }
}
