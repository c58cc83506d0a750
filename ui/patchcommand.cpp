#include "patchcommand.h"

#include <cstring>

namespace pgcn::ui {

void blitImage(QImage &dst, const QPoint &at, const QImage &src)
{
    const QRect r = QRect(at, src.size()).intersected(dst.rect());
    if (r.isEmpty() || src.format() != dst.format())
        return;
    const int bpp = dst.depth() / 8;
    for (int y = r.top(); y <= r.bottom(); ++y)
        std::memcpy(dst.scanLine(y) + r.left() * bpp, src.constScanLine(y - at.y()) + (r.left() - at.x()) * bpp,
                    size_t(r.width() * bpp));
}

PatchCommand::PatchCommand(const QString &text, QVector<Patch> patches, bool alreadyApplied, bool mergeable, QUndoCommand *parent)
    : QUndoCommand(text, parent)
    , m_patches(std::move(patches))
    , m_skipRedo(alreadyApplied)
    , m_mergeable(mergeable)
{
}

void PatchCommand::undo()
{
    for (auto it = m_patches.crbegin(); it != m_patches.crend(); ++it)
        if (!it->rect.isEmpty())
            it->write(it->rect, it->before);
}

void PatchCommand::redo()
{
    if (m_skipRedo) {
        m_skipRedo = false;
        return;
    }
    for (const Patch &p : std::as_const(m_patches))
        if (!p.rect.isEmpty())
            p.write(p.rect, p.after);
}

int PatchCommand::id() const
{
    return kStrokeId;
}

bool PatchCommand::mergeWith(const QUndoCommand *other)
{
    const auto *o = dynamic_cast<const PatchCommand *>(other);
    if (!o || !o->m_mergeable || o->m_patches.size() != m_patches.size())
        return false;
    // The pixels now hold the merged "after"; the merged "before" is the
    // current state with each command's "before" laid over it, oldest last.
    for (int i = 0; i < m_patches.size(); ++i) {
        Patch &mine = m_patches[i];
        const Patch &theirs = o->m_patches[i];
        if (theirs.rect.isEmpty())
            continue;
        const QRect u = mine.rect.isEmpty() ? theirs.rect : mine.rect.united(theirs.rect);
        QImage before = mine.read(u);
        blitImage(before, theirs.rect.topLeft() - u.topLeft(), theirs.before);
        if (!mine.rect.isEmpty())
            blitImage(before, mine.rect.topLeft() - u.topLeft(), mine.before);
        mine.rect = u;
        mine.before = before;
        mine.after = mine.read(u);
    }
    return true;
}

QRect PatchCommand::boundingRect() const
{
    QRect r;
    for (const Patch &p : m_patches)
        r = r.united(p.rect);
    return r;
}

} // namespace pgcn::ui
