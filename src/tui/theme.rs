//! Themes: semantic colour names (`sev1`, `ok`, `warn`, `muted`, `focus`…) read from
//! `themes/*.toml` (embedded; user overrides in `<config dir>/warroom/themes/`). Panes
//! ask the theme for a meaning and never name a colour. `NO_COLOR` selects the
//! monochrome theme, which carries emphasis with bold, reverse and underline instead.

use crate::catalog::line_column;
use crate::incident::{CellState, EntryKind, Severity};
use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The themes shipped in the binary: (name, TOML).
pub const BUILT_IN: [(&str, &str); 4] = [
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("monochrome", include_str!("../../themes/monochrome.toml")),
];

/// What something on screen means, for styling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meaning {
    Text,
    Muted,
    Border,
    Focus,
    Title,
    Selection,
    Ok,
    Warn,
    Danger,
    Info,
    Severity(Severity),
    Cell(CellState),
    Kind(EntryKind),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: String,
    #[serde(default)]
    monochrome: bool,
    colors: Colors,
    cells: BTreeMap<CellState, String>,
    kinds: BTreeMap<EntryKind, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Colors {
    text: String,
    muted: String,
    border: String,
    focus: String,
    title: String,
    selection_bg: String,
    ok: String,
    warn: String,
    danger: String,
    info: String,
    sev1: String,
    sev2: String,
    sev3: String,
    sev4: String,
    sev5: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    pub monochrome: bool,
    text: Color,
    muted: Color,
    border: Color,
    focus: Color,
    title: Color,
    selection_bg: Color,
    ok: Color,
    warn: Color,
    danger: Color,
    info: Color,
    severity: [Color; 5],
    cells: BTreeMap<CellState, Color>,
    kinds: BTreeMap<EntryKind, Color>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct ThemeError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

fn color(text: &str, file: &str, source: &str) -> Result<Color, ThemeError> {
    text.parse::<Color>().map_err(|_| {
        let (line, column) = source
            .find(&format!("\"{text}\""))
            .map_or((1, 1), |at| line_column(source, at));
        ThemeError {
            file: file.to_string(),
            line,
            column,
            message: format!(
                "`{text}` is not a colour: use a name (red, lightblue, darkgray…), #rrggbb, 0-255 or reset"
            ),
        }
    })
}

impl Theme {
    pub fn parse(source: &str, file: &str) -> Result<Theme, ThemeError> {
        let parsed: ThemeFile = toml::from_str(source).map_err(|e| {
            let (line, column) = e.span().map_or((1, 1), |s| line_column(source, s.start));
            ThemeError {
                file: file.to_string(),
                line,
                column,
                message: e.message().trim().to_string(),
            }
        })?;
        let c = |t: &str| color(t, file, source);
        let colors = &parsed.colors;
        let mut cells = BTreeMap::new();
        for state in CellState::ALL {
            let name = parsed.cells.get(&state).ok_or_else(|| ThemeError {
                file: file.to_string(),
                line: 1,
                column: 1,
                message: format!("[cells] needs a colour for `{state}`"),
            })?;
            cells.insert(state, c(name)?);
        }
        let mut kinds = BTreeMap::new();
        for kind in EntryKind::ALL {
            let name = parsed.kinds.get(&kind).ok_or_else(|| ThemeError {
                file: file.to_string(),
                line: 1,
                column: 1,
                message: format!("[kinds] needs a colour for `{kind}`"),
            })?;
            kinds.insert(kind, c(name)?);
        }
        Ok(Theme {
            name: parsed.name,
            monochrome: parsed.monochrome,
            text: c(&colors.text)?,
            muted: c(&colors.muted)?,
            border: c(&colors.border)?,
            focus: c(&colors.focus)?,
            title: c(&colors.title)?,
            selection_bg: c(&colors.selection_bg)?,
            ok: c(&colors.ok)?,
            warn: c(&colors.warn)?,
            danger: c(&colors.danger)?,
            info: c(&colors.info)?,
            severity: [
                c(&colors.sev1)?,
                c(&colors.sev2)?,
                c(&colors.sev3)?,
                c(&colors.sev4)?,
                c(&colors.sev5)?,
            ],
            cells,
            kinds,
        })
    }

    /// A built-in theme by name.
    pub fn built_in(name: &str) -> Option<Theme> {
        let (_, source) = BUILT_IN.iter().find(|(n, _)| *n == name)?;
        Theme::parse(source, &format!("themes/{name}.toml")).ok()
    }

    /// The theme to use: `NO_COLOR` (any value) wins; then `name` from the user's theme
    /// directory, then the built-ins; unknown names are an error listing the choices.
    pub fn select(
        name: &str,
        user_dir: Option<&Path>,
        no_color: bool,
    ) -> Result<Theme, ThemeError> {
        if no_color {
            return Theme::built_in("monochrome").ok_or_else(|| missing(name));
        }
        if let Some(dir) = user_dir {
            let path = dir.join(format!("{name}.toml"));
            if let Ok(source) = std::fs::read_to_string(&path) {
                return Theme::parse(&source, &path.display().to_string());
            }
        }
        Theme::built_in(name).ok_or_else(|| missing(name))
    }

    fn color_of(&self, meaning: Meaning) -> Color {
        match meaning {
            Meaning::Text => self.text,
            Meaning::Muted => self.muted,
            Meaning::Border => self.border,
            Meaning::Focus => self.focus,
            Meaning::Title => self.title,
            Meaning::Selection => self.text,
            Meaning::Ok => self.ok,
            Meaning::Warn => self.warn,
            Meaning::Danger => self.danger,
            Meaning::Info => self.info,
            Meaning::Severity(s) => self.severity[usize::from(s.rank() - 1)],
            Meaning::Cell(state) => self.cells.get(&state).copied().unwrap_or(self.text),
            Meaning::Kind(kind) => self.kinds.get(&kind).copied().unwrap_or(self.text),
        }
    }

    /// The style for a meaning. In monochrome, what colour would have said is said with
    /// modifiers: danger and SEV1/2 bold, focus and selection reversed, muted dim.
    pub fn style(&self, meaning: Meaning) -> Style {
        let base = Style::default().fg(self.color_of(meaning));
        if meaning == Meaning::Selection {
            return if self.monochrome {
                Style::default().add_modifier(Modifier::REVERSED)
            } else {
                base.bg(self.selection_bg)
            };
        }
        if !self.monochrome {
            return base;
        }
        let modifier = match meaning {
            Meaning::Danger | Meaning::Title => Modifier::BOLD,
            Meaning::Severity(s) if s <= Severity::Sev2 => Modifier::BOLD | Modifier::REVERSED,
            Meaning::Cell(CellState::Down | CellState::Degraded) => Modifier::BOLD,
            Meaning::Focus => Modifier::BOLD | Modifier::UNDERLINED,
            Meaning::Warn => Modifier::UNDERLINED,
            Meaning::Muted
            | Meaning::Cell(CellState::Unknown)
            | Meaning::Kind(EntryKind::System) => Modifier::DIM,
            _ => Modifier::empty(),
        };
        Style::default().add_modifier(modifier)
    }
}

fn missing(name: &str) -> ThemeError {
    let names: Vec<&str> = BUILT_IN.iter().map(|(n, _)| *n).collect();
    ThemeError {
        file: format!("themes/{name}.toml"),
        line: 1,
        column: 1,
        message: format!("no theme `{name}`: built in are {}", names.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_theme_parses() {
        for (name, _) in BUILT_IN {
            let theme = Theme::built_in(name).unwrap_or_else(|| panic!("theme {name}"));
            assert_eq!(theme.name, name);
        }
    }

    #[test]
    fn no_color_selects_monochrome_without_colours() {
        let theme = Theme::select("default", None, true).unwrap();
        assert!(theme.monochrome);
        let danger = theme.style(Meaning::Danger);
        assert!(matches!(danger.fg, None | Some(Color::Reset)), "{danger:?}");
        assert!(danger.add_modifier.contains(Modifier::BOLD));
    }

    #[test]
    fn bad_colour_names_file_line_and_column() {
        let source =
            include_str!("../../themes/default.toml").replace("ok = \"green\"", "ok = \"grean\"");
        let err = Theme::parse(&source, "mine.toml").unwrap_err().to_string();
        assert!(
            err.starts_with("mine.toml:") && err.contains("grean"),
            "{err}"
        );
        let line: usize = err.split(':').nth(1).unwrap().parse().unwrap();
        assert_eq!(
            source.lines().nth(line - 1).map(|l| l.starts_with("ok =")),
            Some(true)
        );
    }

    /// Contrast against white (WCAG), with xterm's values for the named colours.
    fn contrast_on_white(color: Color) -> Option<f64> {
        let (r, g, b) = match color {
            Color::Reset => return None,
            Color::Rgb(r, g, b) => (r, g, b),
            Color::Black => (0, 0, 0),
            Color::Red => (205, 0, 0),
            Color::Green => (0, 205, 0),
            Color::Yellow => (205, 205, 0),
            Color::Blue => (0, 0, 238),
            Color::Magenta => (205, 0, 205),
            Color::Cyan => (0, 205, 205),
            Color::Gray => (229, 229, 229),
            Color::DarkGray => (127, 127, 127),
            Color::LightRed => (255, 0, 0),
            Color::LightGreen => (0, 255, 0),
            Color::LightYellow => (255, 255, 0),
            Color::LightBlue => (92, 92, 255),
            Color::LightMagenta => (255, 0, 255),
            Color::LightCyan => (0, 255, 255),
            Color::White => (255, 255, 255),
            Color::Indexed(_) => return Some(0.0),
        };
        let linear = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.039_28 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        let l = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
        Some(1.05 / (l + 0.05))
    }

    #[test]
    fn the_light_theme_draws_nothing_in_light_grey_or_other_pale_colours() {
        let theme = Theme::built_in("light").unwrap();
        let mut meanings = vec![
            Meaning::Text,
            Meaning::Muted,
            Meaning::Focus,
            Meaning::Title,
            Meaning::Ok,
            Meaning::Warn,
            Meaning::Danger,
            Meaning::Info,
        ];
        meanings.extend(Severity::ALL.map(Meaning::Severity));
        meanings.extend(CellState::ALL.map(Meaning::Cell));
        meanings.extend(EntryKind::ALL.map(Meaning::Kind));
        for meaning in meanings {
            let fg = theme.style(meaning).fg.unwrap_or(Color::Reset);
            if let Some(contrast) = contrast_on_white(fg) {
                assert!(
                    contrast >= 4.5,
                    "{meaning:?} is {fg:?}: {contrast:.2}:1 on white"
                );
            }
        }
        let border = theme.style(Meaning::Border).fg.unwrap_or(Color::Reset);
        assert!(
            contrast_on_white(border).is_none_or(|c| c >= 3.0),
            "{border:?}"
        );
    }

    #[test]
    fn unknown_theme_lists_the_choices() {
        let err = Theme::select("neon", None, false).unwrap_err().to_string();
        assert!(
            err.contains("default, light, high-contrast, monochrome"),
            "{err}"
        );
    }
}
