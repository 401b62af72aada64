//! Pure: the order the farm's servers are updated in. The rules are the catalog's data:
//! roles by `rollout_rank`, and, where `rollout.cluster` says so, a clustered server's SCR
//! targets before any of its nodes and its passive nodes before its active node. Servers no
//! rule orders go by rank, then the role's place in the catalog, then name.
//!
//! Cost: O(n log n) time and O(n) memory for n servers (a farm file of 1 MiB holds about
//! 24,000). The rank rule is not a set of edges (every server of a lower rank before every
//! server of a higher one would be n² of them): a server is ready when no server of a lower
//! rank is left. The cluster rules go through one stand-in node per cluster and rule (SCR
//! targets → stand-in → nodes; passive nodes → stand-in → active node), so their edges are
//! as many as the servers. Kahn's algorithm then takes, of the ready servers, the one with
//! the smallest (rank, role's place, lower-case name, file position) — the order the pairwise
//! definition in the tests gives.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};

use super::{Farm, FarmError, FarmErrorKind, Server};
use crate::catalog::model::Catalog;

/// How many servers are handled between two looks at the interrupt flag.
const INTERRUPT_EVERY: usize = 1024;

/// The sort key of every server: (rank, role's place in the catalog, lower-case name,
/// position in the file), computed once.
fn keys(farm: &Farm, catalog: &Catalog) -> Vec<(u32, usize, String, usize)> {
    let roles: HashMap<&str, (u32, usize)> = catalog
        .roles
        .iter()
        .enumerate()
        .rev() // the first role of a repeated id wins, as a search from the front finds it
        .map(|(p, r)| (r.id.as_str(), (r.rollout_rank, p)))
        .collect();
    farm.servers
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let (rank, pos) = roles
                .get(s.role.value.as_str())
                .copied()
                .unwrap_or((u32::MAX, usize::MAX));
            (rank, pos, s.name.value.to_ascii_lowercase(), i)
        })
        .collect()
}

/// Server indices (into `farm.servers`) in rollout order; an error when the rules go round
/// in a circle (a node of one cluster being the SCR target of another, and back).
pub fn order(farm: &Farm, catalog: &Catalog) -> Result<Vec<usize>, FarmError> {
    order_until(farm, catalog, &AtomicBool::new(false))
}

/// [`order`], ended with an `interrupted` error when `interrupt` is set (Ctrl-C).
pub fn order_until(
    farm: &Farm,
    catalog: &Catalog,
    interrupt: &AtomicBool,
) -> Result<Vec<usize>, FarmError> {
    let n = farm.servers.len();
    let interrupted = || FarmError::new(&farm.path, 0, FarmErrorKind::Interrupted);
    let keys = keys(farm, catalog);
    // priority[i]: server i's place when all servers are sorted by key.
    let mut sorted: Vec<usize> = (0..n).collect();
    sorted.sort_unstable_by(|&a, &b| keys[a].cmp(&keys[b]));
    let mut priority = vec![0usize; n];
    for (p, &i) in sorted.iter().enumerate() {
        priority[i] = p;
    }
    // Levels: the distinct ranks, ascending; level[i] is server i's.
    let mut ranks: Vec<u32> = keys.iter().map(|k| k.0).collect();
    ranks.sort_unstable();
    ranks.dedup();
    let level: Vec<usize> = keys
        .iter()
        .map(|k| ranks.partition_point(|&r| r < k.0))
        .collect();
    drop(keys);
    let graph = Graph::new(farm, catalog);
    let mut indegree = graph.indegree.clone();
    // Per level: servers not yet placed, and servers whose rule edges are all satisfied but
    // whose level is not reached yet.
    let mut left = vec![0usize; ranks.len()];
    for &l in &level {
        left[l] += 1;
    }
    let mut waiting: Vec<Vec<usize>> = vec![Vec::new(); ranks.len()];
    let mut ready = BinaryHeap::new();
    let mut current = 0usize;
    let mut stack: Vec<usize> = (0..graph.nodes()).filter(|&v| indegree[v] == 0).collect();
    let mut out = Vec::with_capacity(n);
    loop {
        // Satisfied nodes: servers become ready (or wait for their level); stand-ins pass
        // their satisfaction on.
        while let Some(v) = stack.pop() {
            if v < n {
                if level[v] == current {
                    ready.push(Reverse((priority[v], v)));
                } else {
                    waiting[level[v]].push(v);
                }
            } else {
                for &w in graph.successors(v) {
                    indegree[w] -= 1;
                    if indegree[w] == 0 {
                        stack.push(w);
                    }
                }
            }
        }
        let Some(Reverse((_, i))) = ready.pop() else {
            break;
        };
        if out.len() % INTERRUPT_EVERY == 0 && interrupt.load(Ordering::Relaxed) {
            return Err(interrupted());
        }
        out.push(i);
        for &w in graph.successors(i) {
            indegree[w] -= 1;
            if indegree[w] == 0 {
                stack.push(w);
            }
        }
        left[level[i]] -= 1;
        while current < ranks.len() && left[current] == 0 {
            current += 1;
            if let Some(next) = waiting.get_mut(current) {
                for s in next.drain(..) {
                    ready.push(Reverse((priority[s], s)));
                }
            }
        }
    }
    if out.len() == n {
        return Ok(out);
    }
    let mut done = vec![false; n];
    for &i in &out {
        done[i] = true;
    }
    Err(cycle(farm, &done))
}

/// The cluster rules as a graph in adjacency-list form: nodes `0..n` are the servers, the
/// others stand-ins (one per cluster and rule); an edge a → b means a comes before b.
struct Graph {
    /// Successors of node v: `targets[start[v]..start[v + 1]]`.
    start: Vec<usize>,
    targets: Vec<usize>,
    indegree: Vec<usize>,
}

impl Graph {
    fn new(farm: &Farm, catalog: &Catalog) -> Graph {
        let n = farm.servers.len();
        let mut edges: Vec<(usize, usize)> = Vec::new();
        let mut nodes = n;
        let rules = catalog.rollout.as_ref().and_then(|r| r.cluster.as_ref());
        if let Some(r) = rules {
            // The nodes of each cluster (names compared without case), in file order.
            let mut clusters: HashMap<String, Vec<usize>> = HashMap::new();
            for (i, s) in farm.servers.iter().enumerate() {
                if let Some(c) = &s.cluster {
                    clusters
                        .entry(c.value.to_ascii_lowercase())
                        .or_default()
                        .push(i);
                }
            }
            // The SCR targets of each cluster name (without case), in file order.
            let mut targets: HashMap<String, Vec<usize>> = HashMap::new();
            for (i, s) in farm.servers.iter().enumerate() {
                if let Some(t) = &s.scr_target_of {
                    targets
                        .entry(t.value.to_ascii_lowercase())
                        .or_default()
                        .push(i);
                }
            }
            let mut names: Vec<&String> = clusters.keys().collect();
            names.sort();
            let mut stand_in = |edges: &mut Vec<(usize, usize)>, from: &[usize], to: &[usize]| {
                if from.is_empty() || to.is_empty() {
                    return;
                }
                let v = nodes;
                nodes += 1;
                edges.extend(from.iter().map(|&a| (a, v)));
                edges.extend(to.iter().map(|&b| (v, b)));
            };
            let empty = Vec::new();
            for name in names {
                let members = &clusters[name];
                // Seed 001 lines 39-43: "apply the update rollup first to the SCR target
                // computers", then the clustered mailbox server that is the SCR source.
                if r.scr_targets_first {
                    let in_cluster = |i: &usize| {
                        farm.servers[*i]
                            .cluster
                            .as_ref()
                            .is_some_and(|c| c.value.eq_ignore_ascii_case(name))
                    };
                    let (own, others): (Vec<usize>, Vec<usize>) = targets
                        .get(name.as_str())
                        .unwrap_or(&empty)
                        .iter()
                        .partition(|i| in_cluster(i));
                    stand_in(&mut edges, &others, members);
                    // A node that is the SCR target of its own cluster (which `check`
                    // refuses) comes before the other nodes, not before itself; two such
                    // nodes each come before the other: a circle, made with a stand-in.
                    match own.as_slice() {
                        [] => {}
                        [a] => edges.extend(members.iter().filter(|&b| b != a).map(|&b| (*a, b))),
                        _ => stand_in(&mut edges, &own, members),
                    }
                }
                // Seeds 001 lines 9-25 and 003 lines 3-4, 20: passive nodes first, so that
                // the clustered server moves once.
                if r.passive_first {
                    let (active, passive): (Vec<usize>, Vec<usize>) =
                        members.iter().partition(|&&i| farm.servers[i].is_active());
                    stand_in(&mut edges, &passive, &active);
                }
            }
        }
        edges.sort_unstable();
        edges.dedup();
        let mut start = vec![0usize; nodes + 1];
        let mut indegree = vec![0usize; nodes];
        for &(a, b) in &edges {
            start[a + 1] += 1;
            indegree[b] += 1;
        }
        for v in 0..nodes {
            start[v + 1] += start[v];
        }
        Graph {
            start,
            targets: edges.into_iter().map(|(_, b)| b).collect(),
            indegree,
        }
    }

    fn nodes(&self) -> usize {
        self.indegree.len()
    }

    fn successors(&self, v: usize) -> &[usize] {
        &self.targets[self.start[v]..self.start[v + 1]]
    }
}

/// The servers no order can place (`done` false), as the `farm-order-cycle` error at the
/// first SCR line among them.
fn cycle(farm: &Farm, done: &[bool]) -> FarmError {
    let stuck: BTreeMap<usize, &Server> = done
        .iter()
        .enumerate()
        .filter(|&(_, &d)| !d)
        .map(|(i, _)| (i, &farm.servers[i]))
        .collect();
    let line = stuck
        .values()
        .filter_map(|s| s.scr_target_of.as_ref().map(|l| l.line))
        .min()
        .unwrap_or(0);
    FarmError::new(
        &farm.path,
        line,
        FarmErrorKind::OrderCycle {
            servers: stuck
                .values()
                .map(|s| s.name.value.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        },
    )
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::error::Diagnostic as _;
    use crate::farm::{Located, parse};

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

    static NEVER: AtomicBool = AtomicBool::new(false);

    fn names(toml: &str) -> Result<Vec<String>, FarmError> {
        let farm = parse(toml, Path::new("f.toml")).unwrap();
        order_until(&farm, &catalog(), &NEVER).map(|o| {
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

    /// The order as first written (kept as the definition the fast one is checked against):
    /// for every pair of servers, whether one must come before the other; then the ready
    /// server with the smallest key, again and again. O(n²) time and memory.
    fn pairwise_order(farm: &Farm, catalog: &Catalog) -> Result<Vec<usize>, FarmError> {
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
        let mut before: Vec<std::collections::BTreeSet<usize>> =
            vec![std::collections::BTreeSet::new(); n];
        for (b, before_b) in before.iter_mut().enumerate() {
            for a in 0..n {
                if a == b {
                    continue;
                }
                let (sa, sb) = (&farm.servers[a], &farm.servers[b]);
                let mut must = key(a).0 < key(b).0;
                if let Some(r) = rules {
                    if r.scr_targets_first
                        && let (Some(src), Some(c)) = (&sa.scr_target_of, cluster_of(sb))
                        && src.value.to_ascii_lowercase() == c
                    {
                        must = true;
                    }
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
        let mut ready: std::collections::BTreeSet<_> =
            (0..n).filter(|&i| before[i].is_empty()).map(key).collect();
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
        Err(cycle(farm, &done))
    }

    /// A catalog with the given cluster rules (`None`: no rollout rules at all).
    fn catalog_with(rules: Option<(bool, bool)>) -> Catalog {
        let mut c = catalog();
        match rules {
            None => c.rollout = None,
            Some((passive_first, scr_targets_first)) => {
                if let Some(cl) = c.rollout.as_mut().and_then(|r| r.cluster.as_mut()) {
                    cl.passive_first = passive_first;
                    cl.scr_targets_first = scr_targets_first;
                }
            }
        }
        c
    }

    /// One server of a random farm: name, role, cluster, active, SCR source (indices into
    /// small pools, so that names tie without case and clusters are shared).
    type RawServer = (usize, usize, Option<usize>, bool, Option<usize>);

    fn random_farm(servers: &[RawServer]) -> Farm {
        const NAMES: [&str; 6] = ["A", "a", "B", "mbx1", "MBX1", "z"];
        const ROLES: [&str; 4] = ["hub", "cas", "mailbox", "edge"];
        const CLUSTERS: [&str; 4] = ["CMSA", "cmsa", "CMSB", "cmsc"];
        let at = |value: &str, line: usize| Located {
            value: value.to_owned(),
            line,
        };
        Farm {
            path: "f.toml".into(),
            name: None,
            product: None,
            servers: servers
                .iter()
                .enumerate()
                .map(|(i, &(name, role, cluster, active, scr))| {
                    let line = i * 10 + 1;
                    Server {
                        line,
                        name: at(NAMES[name], line + 1),
                        role: at(ROLES[role], line + 2),
                        language: None,
                        cluster: cluster.map(|c| at(CLUSTERS[c], line + 3)),
                        active: Some(Located {
                            value: active,
                            line: line + 4,
                        }),
                        scr_target_of: scr.map(|c| at(CLUSTERS[c], line + 5)),
                        pool: None,
                    }
                })
                .collect(),
            pools: Vec::new(),
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// The fast order is the pairwise definition's, server for server, on random small
        /// farms (any mix of ranks, clusters, active nodes, SCR targets, cycles included) and
        /// every combination of cluster rules.
        #[test]
        fn the_order_equals_the_pairwise_definition(
            servers in proptest::collection::vec(
                (0..6usize, 0..4usize, proptest::option::of(0..4usize),
                 proptest::bool::ANY, proptest::option::of(0..4usize)),
                0..14,
            ),
            rules in proptest::option::of((proptest::bool::ANY, proptest::bool::ANY)),
        ) {
            let farm = random_farm(&servers);
            let catalog = catalog_with(rules);
            proptest::prop_assert_eq!(
                order_until(&farm, &catalog, &NEVER),
                pairwise_order(&farm, &catalog)
            );
        }
    }

    #[test]
    fn ctrl_c_stops_the_order() {
        static SET: AtomicBool = AtomicBool::new(true);
        let farm = parse(&server("A", "hub", ""), Path::new("f.toml")).unwrap();
        let e = order_until(&farm, &catalog(), &SET).unwrap_err();
        assert_eq!(e.code(), "interrupted");
    }
}
