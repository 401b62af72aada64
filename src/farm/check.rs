//! The farm file against the product's catalog: names, roles, languages, clusters, SCR
//! targets and whether a rollout order exists — every mistake with its line.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::catalog::model::Pool;

use super::{Farm, FarmError, FarmErrorKind, FarmErrors, Located, order};
use crate::catalog::model::Catalog;
use crate::model::Lang;
use crate::safe_path::SafePath;

/// Why `name` cannot name a server (and a `scripts/<name>.ps1`). Computer names are DNS
/// names: labels of up to 63 characters separated by periods, up to 255 in all, not case
/// sensitive (MicrosoftDocs/win32 desktop-src/SysInfo/computer-names.md, "Computer Names");
/// slipway takes the common subset of DNS and NetBIOS characters (letters, digits, hyphens).
fn bad_name(name: &str) -> Option<String> {
    if name.is_empty() || name.len() > 255 {
        return Some("1 to 255 characters".to_owned());
    }
    for label in name.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Some("labels between periods have 1 to 63 characters".to_owned());
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            return Some(format!("{c:?} is not a letter, digit, hyphen or period"));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Some("a label does not start or end with a hyphen".to_owned());
        }
    }
    // The name becomes `scripts/<name>.ps1`: it must be a file name on Windows too.
    SafePath::component(&format!("{name}.ps1"))
        .err()
        .map(|reason| format!("not usable as a file name ({reason})"))
}

/// The product a farm file is for: `--product` (which the file's `product` must equal), else
/// the file's.
pub fn product<'c>(
    farm: &Farm,
    given: Option<&str>,
    catalogs: &'c [Catalog],
) -> Result<&'c Catalog, FarmErrors> {
    let err = |line, kind| FarmErrors(vec![FarmError::new(&farm.path, line, kind)]);
    let id = match (&farm.product, given) {
        (Some(f), Some(g)) if !f.value.eq_ignore_ascii_case(g) => {
            return Err(err(
                f.line,
                FarmErrorKind::ProductMismatch {
                    file: f.value.clone(),
                    given: g.to_owned(),
                },
            ));
        }
        (_, Some(g)) => (g.to_owned(), 0),
        (Some(f), None) => (f.value.clone(), f.line),
        (None, None) => return Err(err(0, FarmErrorKind::NoProduct)),
    };
    catalogs
        .iter()
        .find(|c| c.id.eq_ignore_ascii_case(&id.0))
        .ok_or_else(|| {
            err(
                id.1,
                FarmErrorKind::UnknownProduct {
                    product: id.0.clone(),
                    known: catalogs
                        .iter()
                        .map(|c| c.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                },
            )
        })
}

/// Servers checked between two looks at the interrupt flag.
const INTERRUPT_EVERY: usize = 1024;

/// Every mistake of `farm` for `catalog` (`built`: the `--role`s of the build, empty for
/// every role; `others`: every catalog, to say which product a stray role belongs to).
/// O(n log n) in the servers; `interrupt` (Ctrl-C) ends it with an `interrupted` error.
pub fn check(
    farm: &Farm,
    catalog: &Catalog,
    built: &[String],
    others: &[Catalog],
    interrupt: &AtomicBool,
) -> Result<(), FarmErrors> {
    let interrupted = || {
        FarmErrors(vec![FarmError::new(
            &farm.path,
            0,
            FarmErrorKind::Interrupted,
        )])
    };
    let mut out = Vec::new();
    let mut push = |line, kind| out.push(FarmError::new(&farm.path, line, kind));
    if farm.servers.is_empty() {
        push(0, FarmErrorKind::NoServer);
    }
    if catalog.rollout.is_none() {
        push(
            farm.product.as_ref().map_or(0, |p| p.line),
            FarmErrorKind::NoRolloutRules {
                product: catalog.id.clone(),
            },
        );
    }
    let rules = catalog.rollout.as_ref().and_then(|r| r.cluster.as_ref());
    let mut names: HashSet<String> = HashSet::new();
    let roles: HashSet<&str> = catalog.roles.iter().map(|r| r.id.as_str()).collect();
    // The described pools, without case: one look-up per server, not a scan of every pool.
    let pool_names: HashSet<String> = farm
        .pools
        .iter()
        .map(|d| d.name.value.to_ascii_lowercase())
        .collect();
    for (n, s) in farm.servers.iter().enumerate() {
        if n % INTERRUPT_EVERY == 0 && interrupt.load(Ordering::Relaxed) {
            return Err(interrupted());
        }
        let name = &s.name.value;
        if let Some(reason) = bad_name(name) {
            push(
                s.name.line,
                FarmErrorKind::BadName {
                    name: name.clone(),
                    reason,
                },
            );
        } else if !names.insert(name.to_ascii_lowercase()) {
            push(
                s.name.line,
                FarmErrorKind::DuplicateName { name: name.clone() },
            );
        }
        let role = &s.role.value;
        if !roles.contains(role.as_str()) {
            let other: Vec<&str> = others
                .iter()
                .filter(|c| c.id != catalog.id && c.roles.iter().any(|r| &r.id == role))
                .map(|c| c.id.as_str())
                .collect();
            push(
                s.role.line,
                FarmErrorKind::UnknownRole {
                    role: role.clone(),
                    product: catalog.id.clone(),
                    known: catalog
                        .roles
                        .iter()
                        .map(|r| r.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    other: if other.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " — a server of another product? it is a role of {}",
                            other.join(", ")
                        )
                    },
                },
            );
        } else if !built.is_empty() && !built.iter().any(|b| b.eq_ignore_ascii_case(role)) {
            push(
                s.role.line,
                FarmErrorKind::RoleNotBuilt {
                    role: role.clone(),
                    chosen: built.join(" --role "),
                },
            );
        }
        if let Some(l) = &s.language
            && !Lang::parse(&l.value).is_some_and(|p| p.is_culture())
        {
            push(
                l.line,
                FarmErrorKind::BadLanguage {
                    value: l.value.clone(),
                },
            );
        }
        let clustered_role = rules.is_some_and(|r| r.roles.iter().any(|x| x == role));
        for (field, needs_scr) in [(&s.cluster, false), (&s.scr_target_of, true)] {
            let Some(f) = field else { continue };
            if let Some(reason) = bad_name(&f.value) {
                push(
                    f.line,
                    FarmErrorKind::BadName {
                        name: f.value.clone(),
                        reason,
                    },
                );
            }
            if !clustered_role {
                push(
                    f.line,
                    FarmErrorKind::NotClusteredRole {
                        role: role.clone(),
                        product: catalog.id.clone(),
                    },
                );
            } else if needs_scr && !rules.is_some_and(|r| r.scr_targets_first) {
                push(
                    f.line,
                    FarmErrorKind::ScrUnknown {
                        product: catalog.id.clone(),
                    },
                );
            }
        }
        if let Some(a) = &s.active
            && s.cluster.is_none()
        {
            push(a.line, FarmErrorKind::ActiveWithoutCluster);
        }
        let pool_use = catalog
            .roles
            .iter()
            .find(|r| &r.id == role)
            .map_or(Pool::None, |r| r.pool);
        match (&s.pool, pool_use) {
            (Some(p), Pool::None) => push(
                p.line,
                FarmErrorKind::NotPooledRole {
                    role: role.clone(),
                    product: catalog.id.clone(),
                },
            ),
            (Some(p), _) => {
                if !pool_names.contains(&p.value.to_ascii_lowercase()) {
                    push(
                        p.line,
                        FarmErrorKind::UnknownPool {
                            pool: p.value.clone(),
                        },
                    );
                }
            }
            (None, Pool::Required) => push(
                s.role.line,
                FarmErrorKind::PoolMissing {
                    server: name.clone(),
                    role: role.clone(),
                },
            ),
            (None, Pool::None | Pool::Optional) => {}
        }
    }
    let mut pools: BTreeMap<String, ()> = BTreeMap::new();
    for p in &farm.pools {
        for f in std::iter::once(&p.name).chain(&p.backend) {
            if let Some(reason) = bad_name(&f.value) {
                push(
                    f.line,
                    FarmErrorKind::BadName {
                        name: f.value.clone(),
                        reason,
                    },
                );
            }
        }
        if pools
            .insert(p.name.value.to_ascii_lowercase(), ())
            .is_some()
        {
            push(
                p.name.line,
                FarmErrorKind::DuplicatePool {
                    pool: p.name.value.clone(),
                },
            );
        }
    }
    clusters(farm, &mut push);
    if interrupt.load(Ordering::Relaxed) {
        return Err(interrupted());
    }
    if out.is_empty()
        && let Err(e) = order::order_until(farm, catalog, interrupt)
    {
        out.push(e);
    }
    out.sort_by_key(|e| e.line);
    if out.is_empty() {
        Ok(())
    } else {
        Err(FarmErrors(out))
    }
}

/// Clusters: one role, exactly one active node and at least one passive node each; SCR
/// targets name a cluster of the farm that they are not a node of.
fn clusters(farm: &Farm, push: &mut impl FnMut(usize, FarmErrorKind)) {
    let mut by_cluster: BTreeMap<String, Vec<&super::Server>> = BTreeMap::new();
    for s in &farm.servers {
        if let Some(c) = &s.cluster {
            by_cluster
                .entry(c.value.to_ascii_lowercase())
                .or_default()
                .push(s);
        }
    }
    for nodes in by_cluster.values() {
        let first = nodes[0];
        let cluster = first.cluster.as_ref().map_or("", |c| c.value.as_str());
        for n in &nodes[1..] {
            if n.role.value != first.role.value {
                push(
                    n.role.line,
                    FarmErrorKind::MixedRoles {
                        cluster: cluster.to_owned(),
                        first: first.role.value.clone(),
                        second: n.role.value.clone(),
                    },
                );
            }
        }
        let active: Vec<_> = nodes.iter().filter(|n| n.is_active()).collect();
        match active.as_slice() {
            [] => push(
                first.cluster.as_ref().map_or(first.line, |c| c.line),
                FarmErrorKind::NoActive {
                    cluster: cluster.to_owned(),
                },
            ),
            [a] if nodes.len() == 1 => push(
                a.active.as_ref().map_or(a.line, |l| l.line),
                FarmErrorKind::NoPassive {
                    cluster: cluster.to_owned(),
                    active: a.name.value.clone(),
                },
            ),
            [_] => {}
            [a, rest @ ..] => {
                for b in rest {
                    push(
                        b.active.as_ref().map_or(b.line, |l| l.line),
                        FarmErrorKind::TwoActive {
                            cluster: cluster.to_owned(),
                            first: a.name.value.clone(),
                            second: b.name.value.clone(),
                        },
                    );
                }
            }
        }
    }
    for s in &farm.servers {
        let Some(Located { value, line }) = &s.scr_target_of else {
            continue;
        };
        if !by_cluster.contains_key(&value.to_ascii_lowercase()) {
            push(
                *line,
                FarmErrorKind::ScrSourceNotCluster {
                    source_name: value.clone(),
                },
            );
        } else if s
            .cluster
            .as_ref()
            .is_some_and(|c| c.value.eq_ignore_ascii_case(value))
        {
            push(
                *line,
                FarmErrorKind::ScrOwnCluster {
                    server: s.name.value.clone(),
                    cluster: value.clone(),
                },
            );
        }
    }
}

/// Every server's language must be one the build placed updates for: the base language or a
/// chosen one where the product has language packs; the one language where it has not.
pub fn check_languages(
    farm: &Farm,
    base: Option<&Lang>,
    chosen: &[Lang],
    language_packs: bool,
) -> Result<(), FarmErrors> {
    let mut built: Vec<&Lang> = base.into_iter().collect();
    if language_packs {
        built.extend(chosen.iter().filter(|l| Some(*l) != base));
    }
    let out: Vec<FarmError> = farm
        .servers
        .iter()
        .filter_map(|s| {
            let l = s.language.as_ref()?;
            let lang = Lang::parse(&l.value)?;
            (!built.iter().any(|b| b.agrees_with(&lang))).then(|| {
                FarmError::new(
                    &farm.path,
                    l.line,
                    FarmErrorKind::LanguageNotBuilt {
                        server: s.name.value.clone(),
                        language: lang.to_string(),
                        built: built
                            .iter()
                            .map(|b| b.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    },
                )
            })
        })
        .collect();
    if out.is_empty() {
        Ok(())
    } else {
        Err(FarmErrors(out))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::error::Diagnostic as _;

    #[test]
    fn ctrl_c_stops_the_check() {
        let catalog: Catalog = serde_json::from_value(serde_json::json!({
            "schema_version": 1, "id": "p", "title": "P",
            "components": [{"id": "c", "title": "C", "families": ["f"]}],
            "roles": [{"id": "web", "title": "Web", "rollout_rank": 1}],
            "releases": [], "rollout": {"phases": []}
        }))
        .unwrap();
        let farm = super::super::parse(
            "[[server]]\nname = \"A\"\nrole = \"web\"\n",
            Path::new("f.toml"),
        )
        .unwrap();
        assert!(check(&farm, &catalog, &[], &[], &AtomicBool::new(false)).is_ok());
        let e = check(&farm, &catalog, &[], &[], &AtomicBool::new(true)).unwrap_err();
        assert!(e.is_interrupt(), "{e}");
    }
}
