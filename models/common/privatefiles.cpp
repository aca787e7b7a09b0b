#include "privatefiles.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace hcm::PrivateFiles {

namespace {

struct Tr {
    Q_DECLARE_TR_FUNCTIONS(hcm::PrivateFiles)
};

QString errnoText(int error)
{
    return QString::fromLocal8Bit(std::strerror(error));
}

} // namespace

Status makeDirectory(const QString &dir)
{
    const QString absolute = QDir::cleanPath(QDir(dir).absolutePath());
    QStringList missing;
    QString at = absolute;
    struct stat st = {};
    while (!at.isEmpty() && ::stat(QFile::encodeName(at).constData(), &st) != 0) {
        missing.prepend(at);
        const QString parent = QFileInfo(at).path();
        if (parent == at)
            break;
        at = parent;
    }
    for (const QString &path : std::as_const(missing)) {
        if (::mkdir(QFile::encodeName(path).constData(), 0700) != 0 && errno != EEXIST) {
            return Error{Error::Code::Io, Tr::tr("Cannot create the folder %1: %2.")
                                              .arg(QDir::toNativeSeparators(path), errnoText(errno))};
        }
    }
    if (::stat(QFile::encodeName(absolute).constData(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        return Error{Error::Code::Io, Tr::tr("%1 is not a folder.").arg(QDir::toNativeSeparators(absolute))};
    }
    return {};
}

Status createFile(const QString &path)
{
    const int fd = ::open(QFile::encodeName(path).constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            return {};
        return Error{Error::Code::Io,
                     Tr::tr("Cannot create %1: %2.").arg(QDir::toNativeSeparators(path), errnoText(errno))};
    }
    ::close(fd);
    return {};
}

void restrict(const QString &path, const QLoggingCategory &category)
{
    const QByteArray name = QFile::encodeName(path);
    struct stat st = {};
    if (::stat(name.constData(), &st) != 0 || (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)))
        return;
    const mode_t old = st.st_mode & 07777;
    // Another user's file (a shared database) is not this program's to change.
    if ((old & 077) == 0 || st.st_uid != ::geteuid())
        return;
    const mode_t wanted = S_ISDIR(st.st_mode) ? 0700 : 0600;
    if (::chmod(name.constData(), wanted) != 0) {
        qCWarning(category).noquote() << "cannot restrict the mode" << QString::number(old, 8) << "of"
                                      << QDir::toNativeSeparators(path) << ":" << errnoText(errno);
        return;
    }
    qCWarning(category).noquote() << "restricted the mode of" << QDir::toNativeSeparators(path) << "from"
                                  << QString::number(old, 8).rightJustified(4, QLatin1Char('0')) << "to"
                                  << QString::number(wanted, 8).rightJustified(4, QLatin1Char('0'))
                                  << "so that other local users cannot read it";
}

} // namespace hcm::PrivateFiles
