//! What `farm check` tells people (the servers in rollout order on stdout, each mistake on
//! its own `error:` line on stderr) and programs (`--json`: one document).

use super::json::{FarmCheckDoc, FarmErrorJson, FarmServerJson, SCHEMA_VERSION};
use super::{Printer, table};
use crate::config::FarmChecked;
use crate::farm::FarmErrors;

/// The `--json` document of `farm check`.
pub fn farm_json<'a>(
    file: &'a str,
    result: &'a Result<FarmChecked, FarmErrors>,
) -> FarmCheckDoc<'a> {
    let doc = FarmCheckDoc {
        schema_version: SCHEMA_VERSION,
        command: "farm check",
        ok: result.is_ok(),
        file,
        product: None,
        name: None,
        servers: None,
        errors: Vec::new(),
    };
    match result {
        Ok(c) => FarmCheckDoc {
            product: Some(&c.product),
            name: Some(c.farm.name.as_deref()),
            servers: Some(
                c.order
                    .iter()
                    .map(|&i| {
                        let s = &c.farm.servers[i];
                        FarmServerJson {
                            name: &s.name.value,
                            role: &s.role.value,
                            language: s.language.as_ref().map(|l| l.value.as_str()),
                            cluster: s.cluster.as_ref().map(|l| l.value.as_str()),
                            active: s.is_active(),
                            scr_target_of: s.scr_target_of.as_ref().map(|l| l.value.as_str()),
                            line: s.line,
                        }
                    })
                    .collect(),
            ),
            ..doc
        },
        Err(e) => FarmCheckDoc {
            errors: e
                .0
                .iter()
                .map(|x| FarmErrorJson {
                    code: x.kind.code(),
                    line: x.line,
                    message: x.to_string(),
                })
                .collect(),
            ..doc
        },
    }
}

/// Prints a farm check.
pub fn print_farm_check(p: &Printer, result: &Result<FarmChecked, FarmErrors>) {
    // The file as given.
    let file = match result {
        Ok(c) => c.farm.path.display().to_string(),
        Err(e) => {
            e.0.first()
                .map_or_else(String::new, |x| x.path.display().to_string())
        }
    };
    let file = file.as_str();
    if let Err(e) = result {
        for x in &e.0 {
            p.error(x);
        }
    }
    if p.json_mode() {
        p.json(&farm_json(file, result));
        return;
    }
    match result {
        Ok(c) => {
            let rows: Vec<Vec<String>> = c
                .order
                .iter()
                .enumerate()
                .map(|(n, &i)| {
                    let s = &c.farm.servers[i];
                    let cluster = match (&s.cluster, &s.scr_target_of) {
                        (Some(cl), _) => format!(
                            "{} ({})",
                            cl.value,
                            if s.is_active() { "active" } else { "passive" }
                        ),
                        (None, Some(src)) => format!("SCR target of {}", src.value),
                        (None, None) => "-".to_owned(),
                    };
                    vec![
                        (n + 1).to_string(),
                        s.name.value.clone(),
                        s.role.value.clone(),
                        cluster,
                    ]
                })
                .collect();
            table(p, &["ORDER", "SERVER", "ROLE", "CLUSTER"], &rows);
            p.info(format_args!(
                "{file}: {} server(s) of {}, no mistakes",
                c.farm.servers.len(),
                c.product
            ));
        }
        Err(e) => p.info(format_args!("{file}: {} mistake(s)", e.0.len())),
    }
}
