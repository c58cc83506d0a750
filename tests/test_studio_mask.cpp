#include "studiotestutil.h"

#include <QApplication>
#include <QImageReader>
#include <QMessageBox>
#include <QMouseEvent>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QUndoStack>
#include <QUndoView>

#include "chainpanel.h"
#include "imagecanvas.h"
#include "mainwindow.h"
#include "masklayer.h"
#include "masktools.h"
#include "objectoverlay.h"

using namespace pgcn;
using namespace pgcn::ui;

namespace {

int maskAt(const QImage &m, int x, int y)
{
    return m.constScanLine(y)[x];
}

int countNonZero(const QImage &m)
{
    int n = 0;
    for (int y = 0; y < m.height(); ++y)
        for (int x = 0; x < m.width(); ++x)
            n += maskAt(m, x, y) != 0;
    return n;
}

/** A canvas with a mask, an undo stack and the tools, as the window wires them. */
struct Rig
{
    Rig()
        : canvas(new ImageCanvas)
        , tools(canvas)
    {
        mask.setUndoStack(&undo);
        canvas->resize(400, 400);
        canvas->setMaskLayer(&mask);
        canvas->setImage(test::patternQImage(40, 30));
        canvas->show();
        canvas->fitInView();
        brush = new BrushTool(BrushTool::Mode::Paint, &mask, &tools);
        eraser = new BrushTool(BrushTool::Mode::Erase, &mask, &tools);
        rect = new SelectionTool(SelectionTool::Shape::Rectangle, &mask, &tools);
        lasso = new SelectionTool(SelectionTool::Shape::Lasso, &mask, &tools);
        move = new MoveSelectionTool(&mask, &tools);
        for (AbstractTool *t : {static_cast<AbstractTool *>(brush), static_cast<AbstractTool *>(eraser),
                                static_cast<AbstractTool *>(rect), static_cast<AbstractTool *>(lasso), static_cast<AbstractTool *>(move)})
            tools.registerTool(t);
    }
    ~Rig() { delete canvas; }

    QPointF view(const QPointF &imagePos) const { return canvas->imageToView().map(imagePos); }
    void send(QEvent::Type type, const QPointF &imagePos, Qt::MouseButtons buttons, Qt::KeyboardModifiers mods = Qt::NoModifier)
    {
        const QPointF v = view(imagePos);
        QMouseEvent e(type, v, canvas->viewport()->mapToGlobal(v), type == QEvent::MouseMove ? Qt::NoButton : Qt::LeftButton, buttons, mods);
        QApplication::sendEvent(canvas->viewport(), &e);
    }
    void drag(const QVector<QPointF> &points, Qt::KeyboardModifiers mods = Qt::NoModifier)
    {
        send(QEvent::MouseButtonPress, points.first(), Qt::LeftButton, mods);
        for (int i = 1; i < points.size(); ++i)
            send(QEvent::MouseMove, points[i], Qt::LeftButton, mods);
        send(QEvent::MouseButtonRelease, points.last(), Qt::NoButton, mods);
    }

    QUndoStack undo;
    MaskLayer mask;
    ImageCanvas *canvas;
    ToolManager tools;
    BrushTool *brush;
    BrushTool *eraser;
    SelectionTool *rect;
    SelectionTool *lasso;
    MoveSelectionTool *move;
};

} // namespace

/** Mask painting, selections, undo, mask files, object placement, chain GIFs and the error dialog. */
class TestStudioMask : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void strokeAndUndo()
    {
        Rig r;
        r.tools.selectTool(r.brush);
        r.mask.setBrushSize(6);
        r.mask.setHardness(1.0);
        const QImage before = r.mask.mask().copy();
        QCOMPARE(countNonZero(before), 0);
        r.drag({QPointF(10, 10), QPointF(12, 10)});
        const QImage after = r.mask.mask().copy();
        QCOMPARE(maskAt(after, 10, 10), 255);
        QCOMPARE(maskAt(after, 30, 25), 0);
        QCOMPARE(r.undo.count(), 1);
        r.undo.undo();
        QCOMPARE(r.mask.mask(), before);
        r.undo.redo();
        QCOMPARE(r.mask.mask(), after);

        // The eraser is a stroke too.
        r.tools.selectTool(r.eraser);
        r.drag({QPointF(10, 10), QPointF(11, 10)});
        QCOMPARE(maskAt(r.mask.mask(), 10, 10), 0);
        QCOMPARE(r.undo.count(), 2);
        r.undo.undo();
        QCOMPARE(r.mask.mask(), after);
    }

    void dragIsOneUndoStep()
    {
        Rig r;
        r.tools.selectTool(r.brush);
        r.mask.setBrushSize(3);
        QVector<QPointF> pts;
        for (int i = 0; i < 30; ++i)
            pts << QPointF(2 + i, 5 + (i % 7) * 3);
        r.drag(pts);
        QCOMPARE(r.undo.count(), 1);
        QVERIFY(countNonZero(r.mask.mask()) > 30);
        // A second drag is a second step: the first segment never merges.
        r.drag({QPointF(35, 25), QPointF(36, 26), QPointF(37, 27)});
        QCOMPARE(r.undo.count(), 2);
        r.undo.undo();
        r.undo.undo();
        QCOMPARE(countNonZero(r.mask.mask()), 0);
    }

    void bracketsChangeBrushSize()
    {
        Rig r;
        r.mask.setBrushSize(20);
        r.canvas->setFocus();
        QTest::keyClick(r.canvas, Qt::Key_BracketRight);
        QVERIFY(r.mask.brushSize() > 20);
        const int grown = r.mask.brushSize();
        QTest::keyClick(r.canvas, Qt::Key_BracketLeft);
        QTest::keyClick(r.canvas, Qt::Key_BracketLeft);
        QVERIFY(r.mask.brushSize() < grown);
        r.mask.setBrushSize(1);
        QTest::keyClick(r.canvas, Qt::Key_BracketLeft);
        QCOMPARE(r.mask.brushSize(), 1);
    }

    void fillInvertClear()
    {
        Rig r;
        r.mask.fill();
        QCOMPARE(countNonZero(r.mask.mask()), 40 * 30);
        r.mask.clear();
        QCOMPARE(countNonZero(r.mask.mask()), 0);
        r.mask.selectRect(QRect(0, 0, 10, 30));
        r.mask.invert();
        QCOMPARE(maskAt(r.mask.mask(), 5, 5), 0);
        QCOMPARE(maskAt(r.mask.mask(), 15, 5), 255);
        QCOMPARE(r.undo.count(), 4);
        r.undo.undo();
        QCOMPARE(maskAt(r.mask.mask(), 5, 5), 255);
        QCOMPARE(maskAt(r.mask.mask(), 15, 5), 0);
    }

    void rectangleAndLassoSelections()
    {
        Rig r;
        r.tools.selectTool(r.rect);
        r.drag({QPointF(5, 4), QPointF(10, 8), QPointF(15, 12)});
        QImage m = r.mask.mask();
        QCOMPARE(countNonZero(m), 10 * 8);
        QCOMPARE(maskAt(m, 5, 4), 255);
        QCOMPARE(maskAt(m, 14, 11), 255);
        QCOMPARE(maskAt(m, 15, 12), 0);
        QCOMPARE(maskAt(m, 4, 4), 0);
        QCOMPARE(r.undo.count(), 1);

        // Lasso: a triangle replaces the rectangle; Shift adds a second one.
        r.tools.selectTool(r.lasso);
        r.drag({QPointF(20, 2), QPointF(38, 2), QPointF(20, 20)});
        m = r.mask.mask();
        QCOMPARE(maskAt(m, 7, 6), 0);
        QCOMPARE(maskAt(m, 22, 4), 255);
        QCOMPARE(maskAt(m, 36, 18), 0);
        const int tri = countNonZero(m);
        QVERIFY(tri > 130 && tri < 200); // about 18*18/2
        r.tools.selectTool(r.rect);
        r.drag({QPointF(0, 25), QPointF(4, 29)}, Qt::ShiftModifier);
        QCOMPARE(countNonZero(r.mask.mask()), tri + 16);
    }

    void copyMoveSelection()
    {
        Rig r;
        const QImage original = r.canvas->image();
        r.mask.selectRect(QRect(2, 2, 5, 5));
        r.tools.selectTool(r.move);
        r.drag({QPointF(4, 4), QPointF(10, 8), QPointF(24, 14)});
        const QImage moved = r.canvas->image();
        QCOMPARE(moved.pixel(22, 12), original.pixel(2, 2));
        QCOMPARE(moved.pixel(26, 16), original.pixel(6, 6));
        QCOMPARE(moved.pixel(2, 2), original.pixel(2, 2)); // a copy: the source stays
        QCOMPARE(maskAt(r.mask.mask(), 24, 14), 255);
        QCOMPARE(maskAt(r.mask.mask(), 4, 4), 0);
        QCOMPARE(r.undo.count(), 2);
        r.undo.undo();
        QCOMPARE(r.canvas->image(), original);
        QCOMPARE(maskAt(r.mask.mask(), 4, 4), 255);
    }

    void maskFileRoundTrip()
    {
        QTemporaryDir dir;
        MainWindow w;
        w.setQuiet(true);
        w.setSourceImage(test::patternQImage(40, 30), QStringLiteral("pattern"));
        w.maskLayer()->setBrushSize(7);
        w.maskLayer()->paintSegment(QPointF(5, 5), QPointF(30, 20), false);
        w.maskLayer()->selectRect(QRect(1, 1, 3, 3), MaskLayer::SelectMode::Add);
        const QImage painted = w.maskLayer()->mask().copy();
        const QString path = dir.filePath(QStringLiteral("mask.png"));
        QVERIFY(w.saveMaskFile(path));
        w.maskLayer()->clear();
        QCOMPARE(countNonZero(w.maskLayer()->mask()), 0);
        QVERIFY(w.loadMaskFile(path));
        QCOMPARE(w.maskLayer()->mask(), painted);
        w.undoStack()->undo();
        QCOMPARE(countNonZero(w.maskLayer()->mask()), 0);
        QVERIFY(w.undoView() != nullptr);
    }

    void wrongSizeMaskShowsEngineMessage()
    {
        QTemporaryDir dir;
        MainWindow w;
        w.setSourceImage(test::patternQImage(40, 30), QStringLiteral("pattern"));
        w.show();
        QImage small(12, 10, QImage::Format_Grayscale8);
        small.fill(255);
        const QString path = dir.filePath(QStringLiteral("small.png"));
        QVERIFY(small.save(path));
        w.maskLayer()->selectRect(QRect(0, 0, 4, 4));
        const QImage before = w.maskLayer()->mask().copy();
        QSignalSpy failures(&w, &MainWindow::failureShown);
        QString boxText;
        QTimer::singleShot(0, &w, [&] {
            for (QMessageBox *box : w.findChildren<QMessageBox *>()) {
                boxText = box->text();
                box->close();
            }
        });
        QVERIFY(!w.loadMaskFile(path));
        QCOMPARE(failures.size(), 1);
        const QString message = failures.first().at(1).toString();
        QVERIFY2(message.contains(QStringLiteral("12x10")) || message.contains(QStringLiteral("mask is")), qPrintable(message));
        QTRY_VERIFY(!boxText.isEmpty());
        QCOMPARE(boxText, message);
        QCOMPARE(w.maskLayer()->mask(), before); // nothing overwritten
    }

    void harmonizationPlacement()
    {
        // A 10x10 object, opaque in its left half only, scaled 2x and centred at (20,15).
        QImage rgb(10, 10, QImage::Format_RGB888);
        rgb.fill(QColor(0, 0, 255));
        QImage alpha(10, 10, QImage::Format_Grayscale8);
        alpha.fill(0);
        for (int y = 0; y < 10; ++y)
            for (int x = 0; x < 5; ++x)
                alpha.scanLine(y)[x] = 255;
        ObjectOverlay obj;
        obj.setObject(rgb, alpha);
        obj.setCenter(QPointF(20, 15));
        obj.setScale(2.0);
        QImage pasted, mask;
        const QImage bg = test::patternQImage(40, 30);
        obj.flatten(bg, &pasted, &mask);
        QCOMPARE(mask.size(), bg.size());
        // Object spans x 10..30, y 5..25; its opaque half is x 10..20.
        QCOMPARE(maskAt(mask, 12, 7), 255);
        QCOMPARE(maskAt(mask, 18, 23), 255);
        QCOMPARE(maskAt(mask, 25, 15), 0);
        QCOMPARE(maskAt(mask, 5, 15), 0);
        QCOMPARE(maskAt(mask, 15, 2), 0);
        QCOMPARE(pasted.pixelColor(15, 15), QColor(0, 0, 255));
        QCOMPARE(pasted.pixel(25, 15), bg.pixel(25, 15));

        // Rotated by 90 degrees the opaque half lies on top.
        obj.setRotation(90);
        obj.flatten(bg, &pasted, &mask);
        QCOMPARE(maskAt(mask, 20, 8), 255);
        QCOMPARE(maskAt(mask, 20, 22), 0);

        // Through the window: flatten gives the mask, one undo step restores everything.
        MainWindow w;
        w.setQuiet(true);
        w.setSourceImage(bg, QStringLiteral("bg"));
        w.objectOverlay()->setObject(rgb, alpha);
        w.objectOverlay()->setCenter(QPointF(20, 15));
        w.objectOverlay()->setScale(2.0);
        w.flattenObject();
        QCOMPARE(maskAt(w.maskLayer()->mask(), 12, 7), 255);
        QCOMPARE(maskAt(w.maskLayer()->mask(), 25, 15), 0);
        QCOMPARE(w.canvas()->image().pixelColor(15, 15), QColor(0, 0, 255));
        QVERIFY(w.objectOverlay()->isNull());
        w.undoStack()->undo();
        QCOMPARE(w.canvas()->image(), bg.convertToFormat(QImage::Format_RGB888));
        QCOMPARE(countNonZero(w.maskLayer()->mask()), 0);
    }

    void chainGifExport()
    {
        QTemporaryDir dir;
        ChainPanel panel;
        QVector<ChainFrame> frames;
        for (int i = 0; i < 5; ++i) {
            QImage img(i < 2 ? QSize(12, 10) : QSize(24, 20), QImage::Format_RGB888);
            img.fill(QColor(40 * i, 100, 200 - 30 * i));
            frames.append({i < 2 ? 0 : 1, 2, i, 4, img});
        }
        panel.appendFrames(frames);
        const QString path = dir.filePath(QStringLiteral("chain.gif"));
        QString error;
        QVERIFY2(panel.exportGif(path, &error), qPrintable(error));
        QImageReader reader(path);
        QVERIFY(reader.canRead());
        QCOMPARE(reader.imageCount(), 5 + 12);
        QCOMPARE(reader.read().size(), QSize(24, 20));

        ChainPanel empty;
        QVERIFY(!empty.exportGif(dir.filePath(QStringLiteral("none.gif")), &error));
        QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("none.gif"))));
    }
};

QTEST_MAIN(TestStudioMask)
#include "test_studio_mask.moc"
