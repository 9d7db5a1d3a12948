//! The options of every command that reads a dataset folder.

use crate::data::load::{LoadOptions, TextEncoding};

#[derive(clap::Args, Debug, Clone)]
pub struct ReadArgs {
    /// The encoding of CSV tables: `utf-8` (default) or `gb18030`, which
    /// also reads GBK and GB2312. A file that starts with a UTF-8
    /// byte-order mark is read as UTF-8 and the mark dropped.
    #[arg(long, value_enum, value_name = "ENCODING", default_value = "utf-8")]
    encoding: TextEncoding,
}

impl ReadArgs {
    /// These options as a command line would give them (empty for the
    /// defaults), for a command suggested to the user.
    pub fn as_flags(&self) -> String {
        match self.encoding {
            TextEncoding::Utf8 => String::new(),
            TextEncoding::Gb18030 => " --encoding gb18030".to_string(),
        }
    }

    pub fn options(&self) -> LoadOptions {
        LoadOptions {
            encoding: self.encoding,
            ..LoadOptions::default()
        }
    }
}
