//! Where a layout's panes go for one frame: each node's minimum size (side by side,
//! or as tabs), ratios that never give a pane less than its minimum, and the fallback
//! to tabs (a one-line bar, the side of the most recently focused pane shown) for a
//! split whose children cannot all have theirs.

use super::{Node, PaneKind, Split, collect, contains};
use ratatui::layout::Rect;

/// Where things go on screen for one frame.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Arranged {
    pub panes: Vec<(PaneKind, Rect)>,
    pub tab_bars: Vec<TabBar>,
}

/// One row above a tab split: each tab's panes (in layout order), and which is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TabBar {
    pub area: Rect,
    pub tabs: Vec<Vec<PaneKind>>,
    pub shown: usize,
}

/// The smallest (columns, rows) a node needs with its splits side by side.
fn min_size(node: &Node) -> (u16, u16) {
    if let Some(pane) = node.pane {
        return pane.min_size();
    }
    let sizes = node.node.iter().map(flexible_min);
    let (mut w, mut h) = (0u16, 0u16);
    match node.direction {
        Some(Split::Rows) => {
            for (cw, ch) in sizes {
                (w, h) = (w.max(cw), h.saturating_add(ch));
            }
        }
        Some(Split::Columns) => {
            for (cw, ch) in sizes {
                (w, h) = (w.saturating_add(cw), h.max(ch));
            }
        }
        _ => return tabbed_min(node),
    }
    (w, h)
}

/// The smallest size of a node shown as tabs: its largest child and the tab bar.
fn tabbed_min(node: &Node) -> (u16, u16) {
    let (mut w, mut h) = (0u16, 0u16);
    for (cw, ch) in node.node.iter().map(flexible_min) {
        (w, h) = (w.max(cw), h.max(ch));
    }
    (w, h.saturating_add(1))
}

/// The smallest size a node can take: side by side, or as tabs if that is smaller.
fn flexible_min(node: &Node) -> (u16, u16) {
    if node.pane.is_some() || node.direction == Some(Split::Tabs) {
        return min_size(node);
    }
    let (sw, sh) = min_size(node);
    let (tw, th) = tabbed_min(node);
    match node.direction {
        Some(Split::Rows) => (sw, sh.min(th)),
        _ => (sw.min(tw), sh),
    }
}

/// Splits `total` by `ratio`, but never below a part's `min`: parts that would get
/// less are given their minimum and the rest is shared among the others. The caller
/// checked that the minimums fit.
fn distribute(total: u16, parts: &[(u16, u16)]) -> Vec<u16> {
    let mut fixed = vec![false; parts.len()];
    loop {
        let taken: u32 = parts
            .iter()
            .zip(&fixed)
            .filter(|(_, f)| **f)
            .map(|((_, min), _)| u32::from(*min))
            .sum();
        let left = u32::from(total).saturating_sub(taken);
        let ratios: u32 = parts
            .iter()
            .zip(&fixed)
            .filter(|(_, f)| !**f)
            .map(|((r, _), _)| u32::from(*r))
            .sum();
        let share = |ratio: u16| left * u32::from(ratio) / ratios.max(1);
        let short = parts
            .iter()
            .zip(&fixed)
            .position(|((ratio, min), f)| !*f && share(*ratio) < u32::from(*min));
        if let Some(i) = short {
            fixed[i] = true;
            continue;
        }
        let mut sizes: Vec<u16> = parts
            .iter()
            .zip(&fixed)
            .map(|((ratio, min), f)| {
                if *f {
                    *min
                } else {
                    u16::try_from(share(*ratio)).unwrap_or(u16::MAX)
                }
            })
            .collect();
        // Rounding leaves a few cells: the last flexible part takes them.
        let used: u32 = sizes.iter().map(|s| u32::from(*s)).sum();
        let spare = u16::try_from(u32::from(total).saturating_sub(used)).unwrap_or(0);
        if let Some(last) = fixed
            .iter()
            .rposition(|f| !*f)
            .or(sizes.len().checked_sub(1))
        {
            sizes[last] = sizes[last].saturating_add(spare);
        }
        return sizes;
    }
}

pub(super) fn place(node: &Node, area: Rect, recent: &[PaneKind], out: &mut Arranged) {
    if let Some(pane) = node.pane {
        out.panes.push((pane, area));
        return;
    }
    let vertical = match node.direction {
        Some(Split::Rows) => true,
        Some(Split::Columns) => false,
        _ => return place_tabs(node, area, recent, out),
    };
    let (length, mins): (u16, Vec<u16>) = if vertical {
        (
            area.height,
            node.node.iter().map(|c| flexible_min(c).1).collect(),
        )
    } else {
        (
            area.width,
            node.node.iter().map(|c| flexible_min(c).0).collect(),
        )
    };
    let needed: u32 = mins.iter().map(|m| u32::from(*m)).sum();
    if needed > u32::from(length) && node.node.len() > 1 {
        return place_tabs(node, area, recent, out);
    }
    let parts: Vec<(u16, u16)> = node.node.iter().map(|c| c.ratio).zip(mins).collect();
    let mut offset = 0u16;
    for (child, size) in node.node.iter().zip(distribute(length, &parts)) {
        let rect = if vertical {
            Rect::new(area.x, area.y + offset, area.width, size)
        } else {
            Rect::new(area.x + offset, area.y, size, area.height)
        };
        offset = offset.saturating_add(size);
        place(child, rect.intersection(area), recent, out);
    }
}

/// One child at a time under a tab bar: the child holding the pane focused most
/// recently.
fn place_tabs(node: &Node, area: Rect, recent: &[PaneKind], out: &mut Arranged) {
    let rank = |child: &Node| {
        recent
            .iter()
            .position(|p| contains(child, *p))
            .unwrap_or(usize::MAX)
    };
    let shown = (0..node.node.len())
        .min_by_key(|i| (rank(&node.node[*i]), *i))
        .unwrap_or(0);
    let Some(child) = node.node.get(shown) else {
        return;
    };
    if area.height < 2 {
        return place(child, area, recent, out);
    }
    let tabs = node
        .node
        .iter()
        .map(|c| {
            let mut panes = Vec::new();
            collect(c, &mut panes);
            panes
        })
        .collect();
    out.tab_bars.push(TabBar {
        area: Rect::new(area.x, area.y, area.width, 1),
        tabs,
        shown,
    });
    let rest = Rect::new(area.x, area.y + 1, area.width, area.height - 1);
    place(child, rest, recent, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::layout::Layout;

    #[test]
    fn splits_give_each_pane_its_minimum_or_become_tabs() {
        let commander = Layout::built_in("commander").unwrap();
        // Roomy: side by side, the timeline at least its minimum.
        let placed = commander.arrange(Rect::new(0, 0, 160, 44), &[PaneKind::Timeline]);
        assert!(
            placed.tab_bars.iter().all(|t| t.tabs.len() == 2),
            "{placed:?}"
        );
        let timeline = placed.panes.iter().find(|(k, _)| *k == PaneKind::Timeline);
        assert_eq!(timeline.map(|(_, r)| r.width), Some(90));
        for (kind, rect) in &placed.panes {
            let (w, h) = kind.min_size();
            assert!(rect.width >= w && rect.height >= h, "{kind:?} {rect:?}");
        }
        // 120 columns cannot hold the timeline and the checklist side by side: tabs,
        // showing the side of the most recently focused pane.
        for width in [100, 120] {
            let area = Rect::new(0, 0, width, 25);
            let placed = commander.arrange(area, &[PaneKind::Blast, PaneKind::Timeline]);
            let bar = &placed.tab_bars[0];
            assert_eq!(bar.area, Rect::new(0, 0, width, 1));
            assert!(bar.tabs[bar.shown].contains(&PaneKind::Blast), "{bar:?}");
            assert!(!placed.panes.iter().any(|(k, _)| *k == PaneKind::Timeline));
            for (kind, rect) in &placed.panes {
                let (w, h) = kind.min_size();
                assert!(
                    rect.width >= w && rect.height >= h,
                    "{width}: {kind:?} {rect:?}"
                );
            }
        }
        let compact = Layout::built_in("compact").unwrap();
        let placed = compact.arrange(Rect::new(0, 0, 80, 20), &[PaneKind::Blast]);
        assert_eq!(
            placed.panes,
            vec![(PaneKind::Blast, Rect::new(0, 1, 80, 19))]
        );
    }

    #[test]
    fn distribute_honours_minimums_then_ratios() {
        assert_eq!(distribute(160, &[(5, 90), (4, 70)]), vec![90, 70]);
        assert_eq!(distribute(180, &[(1, 10), (1, 10)]), vec![90, 90]);
        assert_eq!(distribute(100, &[(1, 10), (9, 10)]), vec![10, 90]);
        assert_eq!(distribute(10, &[(1, 3), (1, 3), (1, 3)]), vec![3, 3, 4]);
    }
}
