//! "Did you mean" for a word that is no command, as kubectl gives it: the command it is
//! probably a typo of, or the commands it is a subcommand of (`list` → `gateway list`).

use clap::builder::StyledStr;
use clap::error::{ContextKind, ContextValue, ErrorKind};

/// Edits (insertions, deletions, substitutions, swaps of neighbours) a typo may be away from
/// the command meant. clap's own suggestions use a similarity that misses a swap in a short
/// word (`nwe` is not offered `new`).
const MAX_TYPO_DISTANCE: usize = 2;

/// Adds a "did you mean" tip to clap's unrecognized-subcommand error when clap has none.
/// `args` are the process's arguments, used to find which command the word was given to.
pub fn add_hint(mut error: clap::Error, command: &clap::Command, args: &[String]) -> clap::Error {
    if error.kind() != ErrorKind::InvalidSubcommand {
        return error;
    }
    let has_suggestion = matches!(
        error.get(ContextKind::SuggestedSubcommand),
        Some(ContextValue::Strings(names)) if !names.is_empty()
    );
    let Some(ContextValue::String(word)) = error.get(ContextKind::InvalidSubcommand) else {
        return error;
    };
    if has_suggestion {
        return error;
    }
    let word = word.clone();
    let (parent, path) = command_given(command, args, &word);
    if let Some(hint) = hint(parent, &path, &word) {
        error.insert(
            ContextKind::Suggested,
            ContextValue::StyledStrs(vec![StyledStr::from(hint)]),
        );
    }
    error
}

/// The command whose subcommand `word` was meant to be, and the words naming it.
fn command_given<'a>(
    root: &'a clap::Command,
    args: &[String],
    word: &str,
) -> (&'a clap::Command, Vec<String>) {
    let mut command = root;
    let mut path = Vec::new();
    for arg in args.iter().skip(1).take_while(|arg| *arg != word) {
        if let Some(sub) = command.find_subcommand(arg) {
            command = sub;
            path.push(sub.get_name().to_owned());
        }
    }
    (command, path)
}

/// "did you mean `new`?" for a typo of a subcommand of `parent`, else "did you mean `gateway
/// list` or `app list`?" for the name of a subcommand one level further down.
pub fn hint(parent: &clap::Command, path: &[String], word: &str) -> Option<String> {
    let prefix: String = path.iter().map(|name| format!("{name} ")).collect();
    let typos = closest(parent, word);
    let candidates: Vec<String> = if typos.is_empty() {
        parent
            .get_subcommands()
            .filter(|sub| sub.find_subcommand(word).is_some())
            .map(|sub| format!("{prefix}{} {word}", sub.get_name()))
            .collect()
    } else {
        typos
            .into_iter()
            .map(|name| format!("{prefix}{name}"))
            .collect()
    };
    let quoted: Vec<String> = candidates.iter().map(|c| format!("`{c}`")).collect();
    match quoted.as_slice() {
        [] => None,
        [one] => Some(format!("did you mean {one}?")),
        [rest @ .., last] => Some(format!("did you mean {} or {last}?", rest.join(", "))),
    }
}

/// The subcommands of `parent` fewest edits away from `word`, within [`MAX_TYPO_DISTANCE`].
fn closest(parent: &clap::Command, word: &str) -> Vec<String> {
    let scored: Vec<(usize, String)> = parent
        .get_subcommands()
        .filter(|sub| !sub.is_hide_set())
        .map(|sub| {
            let distance = std::iter::once(sub.get_name())
                .chain(sub.get_all_aliases())
                .map(|name| strsim::osa_distance(word, name))
                .min()
                .unwrap_or(usize::MAX);
            (distance, sub.get_name().to_owned())
        })
        .filter(|(distance, name)| *distance <= MAX_TYPO_DISTANCE && *distance < name.len())
        .collect();
    let best = scored.iter().map(|(distance, _)| *distance).min();
    scored
        .into_iter()
        .filter(|(distance, _)| Some(*distance) == best)
        .map(|(_, name)| name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::hint;
    use crate::cli::args::Cli;
    use clap::CommandFactory;

    #[test]
    fn a_swapped_pair_of_letters_suggests_the_command() {
        let cli = Cli::command();
        assert_eq!(
            hint(&cli, &[], "nwe").as_deref(),
            Some("did you mean `new`?")
        );
        assert_eq!(
            hint(&cli, &[], "lgoin").as_deref(),
            Some("did you mean `login`?")
        );
    }

    #[test]
    fn a_nested_command_name_suggests_its_parents() {
        let cli = Cli::command();
        assert_eq!(
            hint(&cli, &[], "list").as_deref(),
            Some("did you mean `gateway list` or `app list`?")
        );
        assert_eq!(
            hint(&cli, &[], "remove").as_deref(),
            Some("did you mean `gateway remove`?")
        );
    }

    #[test]
    fn a_word_far_from_every_command_has_no_hint() {
        assert_eq!(hint(&Cli::command(), &[], "provision"), None);
    }
}
