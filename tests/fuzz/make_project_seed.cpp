// Writes a seed for fuzz_project: a real project file holding IMAGE, the model file MODEL, a log, a
// gallery and the work in progress (a working image, a mask, an object, task settings).
#include "project.h"

#include <QFile>

#include <cstdio>

int main(int argc, char **argv)
{
    if (argc != 4) {
        std::fprintf(stderr, "usage: make_project_seed OUT.pgcnproj IMAGE.png MODEL.pgcn\n");
        return 2;
    }
    pgcn::ui::Project p;
    p.sourceName = QStringLiteral("seed.png");
    if (!p.source.load(QString::fromLocal8Bit(argv[2])))
        return 1;
    QFile model(QString::fromLocal8Bit(argv[3]));
    if (!model.open(QIODevice::ReadOnly))
        return 1;
    p.model = model.readAll();
    p.log = {{{1, 0.5, -0.25, 0.125}, {2, 0.75, -0.5, 0.0625}}, {{1, 1.0, 2.0, 3.0}}};
    p.gallery = {{p.source, QStringLiteral("sample")}};
    p.trainSettings = {{QStringLiteral("preset"), QStringLiteral("quick")}, {QStringLiteral("scales"), 2}};
    p.taskSettings = pgcn::ui::TaskSettings().toVariant();
    p.canvas = p.source.mirrored(true, false);
    p.canvasCaption = QStringLiteral("edited");
    p.mask = QImage(p.canvas.size(), QImage::Format_Grayscale8);
    p.mask.fill(0);
    p.mask.setPixel(0, 0, 255);
    p.object = QImage(3, 2, QImage::Format_ARGB32);
    p.object.fill(qRgba(1, 2, 3, 4));
    QString error;
    if (!p.save(QString::fromLocal8Bit(argv[1]), &error)) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 1;
    }
    return 0;
}
