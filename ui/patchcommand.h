#pragma once

#include <QImage>
#include <QRect>
#include <QUndoCommand>
#include <QVector>

#include <functional>

namespace pgcn::ui {

/**
 * One undo step of pixel edits (a brush stroke, a fill, a paste): for each
 * touched layer it keeps only the before/after pixels of the dirty rect
 * (Tiled's PaintTileLayer, Krita's KisTransaction). Strokes arrive as one
 * command per drag segment: the first is not mergeable, later ones merge
 * into it, so one drag is one undo step.
 */
class PatchCommand : public QUndoCommand
{
public:
    using Reader = std::function<QImage(const QRect &)>;
    using Writer = std::function<void(const QRect &, const QImage &)>;

    /** A layer's pixels: how to read and write a rect, and the rect's before/after. */
    struct Patch
    {
        Reader read;
        Writer write;
        QRect rect;
        QImage before;
        QImage after;
    };

    static constexpr int kStrokeId = 0x7061; ///< merge id of stroke segments

    /**
     * `alreadyApplied`: the pixels already hold `after` (a live stroke), so
     * the first redo() does nothing. `mergeable`: a later segment of a drag.
     */
    PatchCommand(const QString &text, QVector<Patch> patches, bool alreadyApplied, bool mergeable, QUndoCommand *parent = nullptr);

    void undo() override;
    void redo() override;
    int id() const override;
    bool mergeWith(const QUndoCommand *other) override;

    QRect boundingRect() const;

private:
    QVector<Patch> m_patches;
    bool m_skipRedo;
    bool m_mergeable;
};

/** Copies `src` into `dst` at `at` (same format, clipped), byte for byte. */
void blitImage(QImage &dst, const QPoint &at, const QImage &src);

} // namespace pgcn::ui
