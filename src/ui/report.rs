//! What `extract` tells people (stderr) and programs (`--json`, stdout).

use std::path::Path;

use super::json::{
    ExtractDoc, ExtractInputJson, ExtractMemberJson, ExtractNoteJson, SCHEMA_VERSION,
};
use super::{Printer, human_size};
use crate::error::Diagnostic;
use crate::extract::Error;
use crate::extract::{Note, Report};

/// The line for an input that failed: the error's own line when it names where it is (its
/// Origin chain starts at the input), else prefixed with the input.
pub fn input_error_line(path: &Path, err: &Error) -> String {
    match err.origin() {
        Some(_) => crate::error::line(err),
        None => format!("{}: {}", path.display(), crate::error::line(err)),
    }
}

fn note_json(note: &Note) -> ExtractNoteJson<'_> {
    match note {
        Note::DuplicateIdentical { path, origin } => ExtractNoteJson::DuplicateIdentical {
            path,
            origin: origin.labels(),
        },
    }
}

fn note_text(note: &Note) -> String {
    match note {
        Note::DuplicateIdentical { path, origin } => {
            format!("{origin}: same name and bytes as {path}, written once")
        }
    }
}

/// The `--json` document of an extract run.
pub fn extract_json<'a>(out: &Path, report: &'a Report) -> ExtractDoc<'a> {
    ExtractDoc {
        schema_version: SCHEMA_VERSION,
        command: "extract",
        output: out.display().to_string(),
        ok: report.committed,
        inputs: report
            .inputs
            .iter()
            .map(|i| ExtractInputJson {
                path: i.path.display().to_string(),
                format: i.format,
                members: i.members,
                bytes: i.bytes,
                error: i.error.as_ref().map(|e| super::error_json(e)),
            })
            .collect(),
        members: report
            .members
            .iter()
            .map(|m| ExtractMemberJson {
                path: &m.path,
                size: m.size,
                sha256: m.sha256,
                origin: m.origin.labels(),
                unpacked: m.unpacked,
                name_decoding: m.decoding,
            })
            .collect(),
        notes: report.notes.iter().map(note_json).collect(),
    }
}

/// Prints an extract report for people (and the JSON document in `--json` mode).
pub fn print_extract(p: &Printer, out: &Path, report: &Report) {
    use crate::error::Diagnostic as _;
    for input in report.failed_inputs() {
        // An input stopped by Ctrl-C is said once, by the summary below.
        if let Some(err) = input.error.as_ref().filter(|e| !e.is_interrupt()) {
            p.error(crate::error::line(err));
        }
    }
    if p.json_mode() {
        p.json(&extract_json(out, report));
    } else if p.verbosity() >= 1 {
        for m in &report.members {
            p.data_line(format_args!("{}  {}", m.sha256, m.path));
        }
    }
    for note in &report.notes {
        p.detail(note_text(note));
    }
    let failed = report.failed_inputs().count();
    if report.committed {
        let bytes: u64 = report.members.iter().map(|m| m.size).sum();
        p.info(format_args!(
            "extracted {} file{} ({}) from {} input{} into {}",
            report.members.len(),
            if report.members.len() == 1 { "" } else { "s" },
            human_size(bytes),
            report.inputs.len(),
            if report.inputs.len() == 1 { "" } else { "s" },
            out.display()
        ));
    } else if report.interrupted {
        p.error(format_args!(
            "interrupted; nothing was written to {}",
            out.display()
        ));
    } else {
        p.error(format_args!(
            "{failed} of {} input{} failed; nothing was written to {}",
            report.inputs.len(),
            if report.inputs.len() == 1 { "" } else { "s" },
            out.display()
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::FormatError;
    use crate::formats::zip::ZipError;
    use crate::model::Origin;

    #[test]
    fn error_line_appends_causes_not_already_said() {
        let err = Error::format(
            &Origin::input("pkg.zip"),
            FormatError::Zip(ZipError::Data(std::io::Error::other("invalid checksum"))),
        );
        assert_eq!(
            crate::error::line(&err),
            "pkg.zip: corrupt member data: invalid checksum"
        );
        let err = Error::Interrupted;
        assert_eq!(crate::error::line(&err), "interrupted");
    }
}
