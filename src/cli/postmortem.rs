//! `warroom postmortem ID [--set SECTION=TEXT | --set SECTION=@FILE]…`: writes post-mortem
//! sections (each a `write_postmortem` command, in the order given; every value is read
//! and checked before anything is sent) and prints the post-mortem's sections, saying
//! which are still unwritten and which of those have a draft ready (what the incident
//! already knows, `incident::postmortem::draft`, which the console's editor starts from).

use super::backend::{Backend, CliError, usage};
use super::output::{emit, write_all};
use crate::incident::Command;
use crate::incident::postmortem::{SECTIONS, draft, title, unwritten};
use std::fmt::Write as _;
use std::io::Write;

pub fn run(
    backend: &mut dyn Backend,
    out: &mut dyn Write,
    incident: &str,
    sets: &[String],
) -> Result<(), CliError> {
    let mut commands = Vec::new();
    for set in sets {
        let (section, value) = set.split_once('=').ok_or_else(|| {
            usage(format!(
                "--set `{set}`: write SECTION=TEXT or SECTION=@FILE"
            ))
        })?;
        let section = section.trim();
        if title(section).is_none() {
            let known: Vec<&str> = SECTIONS.iter().map(|(id, _)| *id).collect();
            return Err(usage(format!(
                "--set `{section}`: not a post-mortem section; use {}",
                known.join(", ")
            )));
        }
        let text = match value.strip_prefix('@') {
            Some(path) => std::fs::read_to_string(path)
                .map_err(|e| usage(format!("--set {section}=@{path}: cannot read it: {e}")))?,
            None => value.to_string(),
        };
        commands.push(Command::WritePostmortem {
            section: section.to_string(),
            text,
        });
    }
    for command in commands {
        for event in backend.submit(incident, command)? {
            emit(out, &format!("#{} {}", event.seq, event.kind.name()))?;
        }
    }
    let state = backend.load_state(incident)?;
    let now = chrono::Utc::now();
    let drafted: Vec<&str> = unwritten(&state)
        .into_iter()
        .filter(|id| draft(&state, backend.runbooks(), now, id).is_some())
        .collect();
    let mut text = String::new();
    for (id, heading) in SECTIONS {
        match state.postmortem.get(id) {
            Some(section) => {
                let _ = writeln!(
                    text,
                    "## {heading} ({id}) — {} at {}\n{}\n",
                    section.by,
                    section.at.format("%Y-%m-%d %H:%M UTC"),
                    section.text
                );
            }
            None if drafted.contains(&id) => {
                let _ = writeln!(
                    text,
                    "## {heading} ({id}) — not written yet; a draft is ready\n"
                );
            }
            None => {
                let _ = writeln!(text, "## {heading} ({id}) — not written yet\n");
            }
        }
    }
    let missing = unwritten(&state);
    if missing.is_empty() {
        let _ = writeln!(text, "Every section is written.");
    } else {
        let _ = writeln!(text, "Unwritten: {}", missing.join(", "));
    }
    if !drafted.is_empty() {
        let _ = writeln!(
            text,
            "Drafts ready from what the incident knows: {} (in the console: M, then Enter on \
             the section starts from its draft)",
            drafted.join(", ")
        );
    }
    write_all(out, &text)
}
