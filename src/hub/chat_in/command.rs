//! What a slash command's text asks for (`note INC text…`, `status INC`, `ack INC`,
//! `help`), read without I/O, and the help text a person gets when it asks for help or
//! for something else.

/// One slash command, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subcommand {
    Help,
    /// A timeline note as the person's responder.
    Note {
        incident: String,
        text: String,
    },
    /// A one-screen summary, shown only to the person who asked.
    Status {
        incident: String,
    },
    /// Acknowledge the incident as the person's responder.
    Ack {
        incident: String,
    },
}

/// Why a command's text cannot be read: the `/metrics` reason and a sentence for the
/// person (the help text follows it in the answer). It may quote what they typed, so it
/// is escaped for the chat when answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadCommand {
    pub reason: &'static str,
    pub message: String,
}

/// The longest incident id read (ids are `INC-YYYYMMDD-N`, or what people chose).
const MAX_ID_CHARS: usize = 64;

impl Subcommand {
    /// The `/metrics` label.
    pub fn name(&self) -> &'static str {
        match self {
            Subcommand::Help => "help",
            Subcommand::Note { .. } => "note",
            Subcommand::Status { .. } => "status",
            Subcommand::Ack { .. } => "ack",
        }
    }

    /// Reads the text after the command (`note INC-1 the fix is out`). Nothing, or
    /// `help`, is [`Subcommand::Help`].
    pub fn parse(text: &str) -> Result<Subcommand, BadCommand> {
        let text = text.trim();
        let (verb, rest) = split_word(text);
        match verb.to_ascii_lowercase().as_str() {
            "" | "help" => Ok(Subcommand::Help),
            "note" => {
                let (incident, note) = split_word(rest);
                let incident = incident_id(incident, "note")?;
                if note.trim().is_empty() {
                    return Err(usage(format!(
                        "say what to note after the incident id: `note {incident} what happened`"
                    )));
                }
                Ok(Subcommand::Note {
                    incident,
                    text: note.trim().to_string(),
                })
            }
            "status" => Ok(Subcommand::Status {
                incident: only_id(rest, "status")?,
            }),
            "ack" | "acknowledge" => Ok(Subcommand::Ack {
                incident: only_id(rest, "ack")?,
            }),
            other => Err(BadCommand {
                reason: "unknown_command",
                message: format!(
                    "`{}` is not a warroom command.",
                    super::status::clip(other, 40)
                ),
            }),
        }
    }
}

fn usage(message: String) -> BadCommand {
    BadCommand {
        reason: "bad_command",
        message,
    }
}

/// The first whitespace-separated word and what follows it (its separator removed).
fn split_word(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    match text.find(char::is_whitespace) {
        Some(at) => {
            let (word, rest) = text.split_at(at);
            (word, rest.trim_start())
        }
        None => (text, ""),
    }
}

/// `word` if it looks like an incident id: 1-64 letters, digits, `-`, `_` or `.`.
fn incident_id(word: &str, verb: &str) -> Result<String, BadCommand> {
    if word.is_empty() {
        return Err(usage(format!(
            "name the incident: `{verb} INC-…` (`warroom list` shows their ids)"
        )));
    }
    let plain = word
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !plain || word.chars().count() > MAX_ID_CHARS {
        return Err(usage(format!(
            "`{}` is not an incident id: they look like INC-20260314-1",
            super::status::clip(word, 40)
        )));
    }
    Ok(word.to_string())
}

/// The incident id that must be all of `rest`.
fn only_id(rest: &str, verb: &str) -> Result<String, BadCommand> {
    let (word, more) = split_word(rest);
    let id = incident_id(word, verb)?;
    if !more.is_empty() {
        return Err(usage(format!(
            "`{verb}` takes just the incident id: `{verb} {id}`"
        )));
    }
    Ok(id)
}

/// What the commands are, for `command` as the person typed it (`/warroom` unless it
/// is something else plain).
pub fn help(command: &str) -> String {
    let plain = command.len() <= 32
        && command.starts_with('/')
        && command
            .chars()
            .skip(1)
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
    let c = if plain && command.len() > 1 {
        command
    } else {
        "/warroom"
    };
    format!(
        "{c} note INC text… — add a note to the incident's timeline as you\n\
         {c} status INC — the incident at a glance (only you see it)\n\
         {c} ack INC — acknowledge the incident as you\n\
         {c} help — this list"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_subcommand() {
        assert_eq!(Subcommand::parse(""), Ok(Subcommand::Help));
        assert_eq!(Subcommand::parse("  HELP "), Ok(Subcommand::Help));
        assert_eq!(
            Subcommand::parse("note INC-20260314-1   rolled back\n  v42 ok"),
            Ok(Subcommand::Note {
                incident: "INC-20260314-1".into(),
                text: "rolled back\n  v42 ok".into()
            })
        );
        assert_eq!(
            Subcommand::parse("status INC-1"),
            Ok(Subcommand::Status {
                incident: "INC-1".into()
            })
        );
        assert_eq!(
            Subcommand::parse("Ack INC-1"),
            Ok(Subcommand::Ack {
                incident: "INC-1".into()
            })
        );
    }

    #[test]
    fn bad_text_says_what_is_wrong() {
        let reason = |text: &str| Subcommand::parse(text).map_err(|b| b.reason);
        assert_eq!(reason("deploy INC-1"), Err("unknown_command"));
        assert_eq!(reason("note INC-1"), Err("bad_command"));
        assert_eq!(reason("note"), Err("bad_command"));
        assert_eq!(reason("ack INC-1 now"), Err("bad_command"));
        assert_eq!(reason("status <@U1|x>"), Err("bad_command"));
        let bad = Subcommand::parse("rm <!channel> & co").unwrap_err();
        assert_eq!(bad.message, "`rm` is not a warroom command.");
        let bad = Subcommand::parse("<!here>&").unwrap_err();
        assert_eq!(bad.message, "`<!here>&` is not a warroom command.");
    }

    #[test]
    fn help_names_the_command_typed_if_plain() {
        assert!(help("/wr").starts_with("/wr note INC text…"));
        assert!(help("/<!here>").starts_with("/warroom note"));
        assert!(help("").starts_with("/warroom note"));
    }
}
