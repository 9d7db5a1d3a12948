//! How the loader reads a dataset's files, as chosen on the command line.

/// The character encoding of CSV files. Parquet text is UTF-8 by definition.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum TextEncoding {
    #[default]
    #[value(name = "utf-8", alias = "utf8")]
    Utf8,
    /// GB18030, which includes GBK and GB2312 (what many Chinese systems export).
    #[value(name = "gb18030", alias = "gbk")]
    Gb18030,
}

impl TextEncoding {
    pub fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Gb18030 => "GB18030",
        }
    }

    pub(crate) fn encoding(self) -> &'static encoding_rs::Encoding {
        match self {
            TextEncoding::Utf8 => encoding_rs::UTF_8,
            TextEncoding::Gb18030 => encoding_rs::GB18030,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadOptions {
    pub encoding: TextEncoding,
    /// Where the keys of a big table may be written while its uniqueness
    /// is checked (a scan's spill folder), instead of held in memory.
    pub key_spill_dir: Option<std::path::PathBuf>,
    /// Tables whose key the caller checks to be unique itself (a
    /// partitioned scan, partition by partition), when no relation leads
    /// to them; [`first_problem_of`](super::validate::first_problem_of)
    /// then names the row that repeats one.
    pub keys_checked_later: Vec<String>,
    /// Required relations, as (table, relation), whose references the
    /// caller checks itself (a partitioned scan, in the lookup each
    /// partition builds); the loader then neither checks them nor keeps
    /// the target's keys for them.
    pub references_checked_later: Vec<(String, String)>,
    /// The tables, when they are given in memory rather than found in a
    /// folder (the folder is then not read).
    pub memory: Option<super::memory::InMemory>,
}
