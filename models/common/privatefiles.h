#pragma once

#include "common/error.h"

#include <QString>

class QLoggingCategory;

namespace hcm {

// Files that only their owner may read: the database and its WAL and SHM files, the log files, the key
// file, and the folders the program creates for them. Whatever the umask, they are made 0600 and 0700;
// an existing one that others can read is repaired (with a log line) when the program opens it.
namespace PrivateFiles {

// Creates `dir` and its missing parents with mode 0700. Folders that exist keep their mode.
Status makeDirectory(const QString &dir);
// Creates `path` empty with mode 0600 unless it exists.
Status createFile(const QString &path);
// When the group or others have any right on `path` (a file or a folder), takes them away: 0600 for a
// file, 0700 for a folder. Logs the change on `category`. Nothing when `path` does not exist, is
// neither a file nor a folder, or belongs to another user.
void restrict(const QString &path, const QLoggingCategory &category);

} // namespace PrivateFiles
} // namespace hcm
