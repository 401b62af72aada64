//! A small JSON Schema (draft 2020-12) validator for the subset `manifests/catalog.schema.json`
//! uses, reporting every violation as a [`Problem`] with the JSON pointer of the offending value.
//!
//! The schema file is the single source of truth: it is embedded with `include_str!` and walked
//! as it is. Supported keywords: `type` (a name or a list), `required`, `properties`,
//! `additionalProperties` (`false` or a schema), `items`, `enum`, `const`, `pattern`,
//! `minimum`, `maximum`, `minLength`, `minItems` and `$ref` to `#/$defs/NAME`. Annotations (`title`,
//! `description`, `$schema`, `$id`, `$defs`) are ignored; `x-code` names the problem code a
//! violation inside that definition is reported with (`bad-build`, `bad-kb`, …; default
//! `schema`). Any other keyword is listed by [`unsupported_keywords`] so a test can keep the
//! schema inside the subset this validator understands.

use std::collections::HashMap;
use std::sync::OnceLock;

use regex_lite::Regex;
use serde_json::Value;

use super::problem::{Problem, pointer_push};

/// The catalog schema's text, as shipped in `manifests/`.
pub const CATALOG_SCHEMA: &str = include_str!("../../manifests/catalog.schema.json");

/// Keywords the validator applies.
const APPLIED: &[&str] = &[
    "type",
    "required",
    "properties",
    "additionalProperties",
    "items",
    "enum",
    "const",
    "pattern",
    "minimum",
    "maximum",
    "minLength",
    "minItems",
    "$ref",
];

/// Keywords the validator knows and deliberately ignores (annotations, containers).
const ANNOTATIONS: &[&str] = &["$schema", "$id", "$defs", "title", "description", "x-code"];

/// The parsed catalog schema (`None` if the embedded text is not JSON, which a test rules out).
pub fn catalog_schema() -> Option<&'static Value> {
    static SCHEMA: OnceLock<Option<Value>> = OnceLock::new();
    SCHEMA
        .get_or_init(|| serde_json::from_str(CATALOG_SCHEMA).ok())
        .as_ref()
}

/// Validates `value` against the catalog schema.
pub fn validate_catalog(value: &Value) -> Vec<Problem> {
    match catalog_schema() {
        Some(schema) => validate(schema, value),
        None => vec![Problem::error(
            "schema",
            "",
            "the built-in catalog schema is not valid JSON (a bug in slipway)",
        )],
    }
}

/// Validates `value` against `schema` (whose `$defs` resolve `$ref`s).
pub fn validate(schema: &Value, value: &Value) -> Vec<Problem> {
    let mut v = Validator {
        root: schema,
        regexes: HashMap::new(),
        out: Vec::new(),
    };
    v.check(schema, value, "", "schema", 0);
    v.out
}

/// Keywords used anywhere in `schema` that the validator neither applies nor ignores, with the
/// pointer of the schema object that uses them.
pub fn unsupported_keywords(schema: &Value) -> Vec<String> {
    fn walk(s: &Value, at: &str, out: &mut Vec<String>) {
        let Value::Object(map) = s else { return };
        for (k, v) in map {
            let here = pointer_push(at, k);
            if !APPLIED.contains(&k.as_str()) && !ANNOTATIONS.contains(&k.as_str()) {
                out.push(here.clone());
            }
            match k.as_str() {
                "properties" | "$defs" => {
                    if let Value::Object(children) = v {
                        for (name, child) in children {
                            walk(child, &pointer_push(&here, name), out);
                        }
                    }
                }
                "items" | "additionalProperties" => walk(v, &here, out),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(schema, "", &mut out);
    out
}

/// `$ref`s deeper than this are a cycle in the schema.
const MAX_REF_DEPTH: u32 = 32;

struct Validator<'s> {
    root: &'s Value,
    regexes: HashMap<String, Option<Regex>>,
    out: Vec<Problem>,
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn has_type(v: &Value, ty: &str) -> bool {
    match ty {
        "number" => v.is_number(),
        other => type_name(v) == other,
    }
}

/// A value for a message: strings quoted with invisible characters escaped, others as JSON,
/// cut to a readable length.
pub(crate) fn show(v: &Value) -> String {
    let s = match v {
        Value::String(s) => format!("{s:?}"),
        Value::Object(_) => "an object".to_owned(),
        Value::Array(_) => "an array".to_owned(),
        other => other.to_string(),
    };
    if s.chars().count() > 60 {
        let cut: String = s.chars().take(57).collect();
        format!("{cut}…")
    } else {
        s
    }
}

impl<'s> Validator<'s> {
    fn problem(&mut self, code: &str, path: &str, message: String) {
        self.out.push(Problem::error(code, path, message));
    }

    fn resolve(&self, reference: &str) -> Option<&'s Value> {
        let name = reference.strip_prefix("#/$defs/")?;
        self.root.get("$defs")?.get(name)
    }

    fn regex(&mut self, pattern: &str) -> Option<&Regex> {
        self.regexes
            .entry(pattern.to_owned())
            .or_insert_with(|| Regex::new(pattern).ok())
            .as_ref()
    }

    fn check(&mut self, schema: &'s Value, value: &Value, path: &str, code: &str, depth: u32) {
        let Value::Object(s) = schema else {
            // `true` accepts everything; `false` nothing.
            if schema == &Value::Bool(false) {
                self.problem(code, path, "no value is allowed here".to_owned());
            }
            return;
        };
        let code = s.get("x-code").and_then(Value::as_str).unwrap_or(code);
        let description = s.get("description").and_then(Value::as_str);

        if let Some(Value::String(reference)) = s.get("$ref") {
            match self.resolve(reference) {
                Some(target) if depth < MAX_REF_DEPTH => {
                    self.check(target, value, path, code, depth + 1);
                }
                Some(_) => self.problem(
                    code,
                    path,
                    format!("schema reference {reference} nests too deeply"),
                ),
                None => self.problem(
                    code,
                    path,
                    format!("schema reference {reference} cannot be resolved"),
                ),
            }
        }

        if let Some(ty) = s.get("type") {
            let allowed: Vec<&str> = match ty {
                Value::String(t) => vec![t.as_str()],
                Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            if !allowed.is_empty() && !allowed.iter().any(|t| has_type(value, t)) {
                let found = type_name(value);
                self.problem(
                    code,
                    path,
                    format!("expected {}, found {found}", allowed.join(" or ")),
                );
                return;
            }
        }

        if let Some(expected) = s.get("const")
            && expected != value
        {
            self.problem(
                code,
                path,
                format!("must be {}, found {}", show(expected), show(value)),
            );
        }

        if let Some(Value::Array(options)) = s.get("enum")
            && !options.contains(value)
        {
            let list: Vec<String> = options.iter().map(Value::to_string).collect();
            self.problem(
                code,
                path,
                format!("{} is not one of {}", show(value), list.join(", ")),
            );
        }

        match value {
            Value::String(text) => self.check_string(s, text, value, path, code, description),
            Value::Number(n) => {
                if let Some(x) = n.as_f64() {
                    if let Some(min) = s.get("minimum").and_then(Value::as_f64)
                        && x < min
                    {
                        self.problem(code, path, format!("{n} is less than the minimum {min}"));
                    }
                    if let Some(max) = s.get("maximum").and_then(Value::as_f64)
                        && x > max
                    {
                        self.problem(code, path, format!("{n} is more than the maximum {max}"));
                    }
                }
            }
            Value::Array(items) => {
                if let Some(min) = s.get("minItems").and_then(Value::as_u64)
                    && (items.len() as u64) < min
                {
                    self.problem(
                        code,
                        path,
                        format!("needs at least {min} item(s), found {}", items.len()),
                    );
                }
                if let Some(item_schema) = s.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        let p = pointer_push(path, &i.to_string());
                        self.check(item_schema, item, &p, code, depth);
                    }
                }
            }
            Value::Object(map) => self.check_object(s, map, path, code, depth),
            Value::Null | Value::Bool(_) => {}
        }
    }

    fn check_string(
        &mut self,
        s: &serde_json::Map<String, Value>,
        text: &str,
        value: &Value,
        path: &str,
        code: &str,
        description: Option<&str>,
    ) {
        if let Some(min) = s.get("minLength").and_then(Value::as_u64)
            && (text.chars().count() as u64) < min
        {
            let msg = if min == 1 {
                "must not be empty".to_owned()
            } else {
                format!("must be at least {min} characters long")
            };
            self.problem(code, path, msg);
        }
        if let Some(Value::String(pattern)) = s.get("pattern") {
            let matched = self.regex(pattern).map(|re| re.is_match(text));
            match matched {
                Some(true) => {}
                Some(false) => {
                    let mut msg = format!("{} does not match {pattern}", show(value));
                    if let Some(d) = description {
                        msg.push_str(&format!(" ({})", d.trim_end_matches('.')));
                    }
                    self.problem(code, path, msg);
                }
                None => self.problem(
                    code,
                    path,
                    format!("the schema's pattern {pattern} is not a valid regular expression"),
                ),
            }
        }
    }

    fn check_object(
        &mut self,
        s: &'s serde_json::Map<String, Value>,
        map: &serde_json::Map<String, Value>,
        path: &str,
        code: &str,
        depth: u32,
    ) {
        if let Some(Value::Array(required)) = s.get("required") {
            for name in required.iter().filter_map(Value::as_str) {
                if !map.contains_key(name) {
                    self.problem(
                        code,
                        &pointer_push(path, name),
                        format!("required property {name:?} is missing"),
                    );
                }
            }
        }
        let properties = s.get("properties").and_then(Value::as_object);
        for (key, child) in map {
            let p = pointer_push(path, key);
            match properties.and_then(|props| props.get(key)) {
                Some(child_schema) => self.check(child_schema, child, &p, code, depth),
                None => match s.get("additionalProperties") {
                    Some(Value::Bool(false)) => {
                        let known: Vec<&str> = properties
                            .map(|props| props.keys().map(String::as_str).collect())
                            .unwrap_or_default();
                        self.problem(
                            code,
                            &p,
                            format!("unknown property {key:?} (known: {})", known.join(", ")),
                        );
                    }
                    Some(extra) if extra.is_object() => self.check(extra, child, &p, code, depth),
                    _ => {}
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn codes_and_paths(problems: &[Problem]) -> Vec<(String, String)> {
        problems
            .iter()
            .map(|p| (p.code.clone(), p.path.clone()))
            .collect()
    }

    #[test]
    fn the_shipped_schema_parses_and_uses_only_supported_keywords() {
        let schema = catalog_schema().expect("schema is JSON");
        assert_eq!(unsupported_keywords(schema), Vec::<String>::new());
        // Every pattern compiles.
        let text = CATALOG_SCHEMA;
        let doc: Value = serde_json::from_str(text).unwrap();
        let mut patterns = Vec::new();
        fn collect(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::Object(m) => {
                    for (k, c) in m {
                        if k == "pattern" {
                            out.push(c.as_str().unwrap().to_owned());
                        } else {
                            collect(c, out);
                        }
                    }
                }
                Value::Array(a) => a.iter().for_each(|c| collect(c, out)),
                _ => {}
            }
        }
        collect(&doc, &mut patterns);
        assert!(patterns.len() >= 5);
        for p in patterns {
            assert!(Regex::new(&p).is_ok(), "{p}");
        }
    }

    #[test]
    fn small_schema_reports_each_keyword_with_its_path() {
        let schema = json!({
            "type": "object",
            "required": ["a", "b"],
            "additionalProperties": false,
            "properties": {
                "a": {"$ref": "#/$defs/kb"},
                "b": {"type": "array", "minItems": 1, "items": {"enum": ["x", "y"]}},
                "c": {"type": ["integer", "null"], "minimum": 1, "maximum": 9},
                "d": {"const": 1},
                "e": {"type": "string", "minLength": 1}
            },
            "$defs": {"kb": {"x-code": "bad-kb", "type": "string", "pattern": "^[0-9]{4,8}$"}}
        });
        let ok = validate(
            &schema,
            &json!({"a": "953338", "b": ["x"], "c": null, "d": 1}),
        );
        assert!(ok.is_empty(), "{ok:?}");
        let bad = validate(
            &schema,
            &json!({"a": "KB12", "b": ["z", 3], "c": 0, "d": 2, "e": "", "f": true}),
        );
        assert_eq!(
            codes_and_paths(&bad),
            vec![
                ("bad-kb".into(), "/a".into()),
                ("schema".into(), "/b/0".into()),
                ("schema".into(), "/b/1".into()),
                ("schema".into(), "/c".into()),
                ("schema".into(), "/d".into()),
                ("schema".into(), "/e".into()),
                ("schema".into(), "/f".into()),
            ]
        );
        assert_eq!(
            validate(&schema, &json!({"a": "1234", "b": ["x"], "c": 10})).len(),
            1
        );
        let missing = validate(&schema, &json!({"a": 5}));
        assert_eq!(
            codes_and_paths(&missing),
            vec![
                ("schema".into(), "/b".into()),
                ("bad-kb".into(), "/a".into())
            ]
        );
        assert!(
            missing[1]
                .message
                .contains("expected string, found integer")
        );
        assert_eq!(validate(&schema, &json!([])).len(), 1);
    }

    #[test]
    fn a_bad_reference_or_pattern_is_a_problem_not_a_panic() {
        let schema = json!({"properties": {
            "a": {"$ref": "#/$defs/nope"},
            "b": {"pattern": "("},
            "c": {"$ref": "#/$defs/loop"}
        }, "$defs": {"loop": {"$ref": "#/$defs/loop"}}});
        let p = validate(&schema, &json!({"a": 1, "b": "x", "c": 1}));
        assert_eq!(p.len(), 3, "{p:?}");
    }
}
