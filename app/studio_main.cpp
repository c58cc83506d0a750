// patchgencn-studio: main() and the command line of the desktop application.
#include <cstdio>
#include <memory>
#include <string>

#include <QApplication>
#include <QCommandLineParser>
#include <QDockWidget>
#include <QFileInfo>
#include <QIcon>
#include <QListWidget>
#include <QScreen>
#include <QTimer>

#include "enginetypes.h"
#include "gallerypanel.h"
#include "mainwindow.h"
#include "masktools.h"
#include "samplepanel.h"
#include "trainingpanel.h"

using pgcn::ui::JobOutcome;
using pgcn::ui::MainWindow;

namespace {

void grabTo(MainWindow &w, const QString &path)
{
    const QPixmap shot = w.grab();
    if (!shot.save(path))
        std::fprintf(stderr, "patchgencn-studio: cannot write %s\n", qPrintable(path));
    else
        std::fprintf(stderr, "patchgencn-studio: screenshot written to %s\n", qPrintable(path));
}

/** --help and --version print and quit: they need no display, so no QApplication (which does). */
bool answersWithoutDisplay(int argc, char **argv)
{
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--")
            break;
        if (a == "-h" || a == "-?" || a == "--help" || a == "--help-all" || a == "-v" || a == "--version")
            return true;
    }
    return false;
}

} // namespace

int main(int argc, char **argv)
{
    const std::unique_ptr<QCoreApplication> appHolder =
        answersWithoutDisplay(argc, argv) ? std::make_unique<QCoreApplication>(argc, argv)
                                          : std::make_unique<QApplication>(argc, argv);
    QCoreApplication &app = *appHolder;
    QApplication::setOrganizationName(QStringLiteral("patchgencn"));
    QApplication::setApplicationName(QStringLiteral("studio"));
    QApplication::setApplicationDisplayName(QStringLiteral("PatchGenCN Studio"));
    QApplication::setApplicationVersion(QStringLiteral(PATCHGENCN_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("org.patchgencn.Studio"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Train a PatchGenCN model on one image, watch it learn and sample from it."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("file"), QStringLiteral("An image or a .pgcnproj project to open."), QStringLiteral("[file]"));
    const QCommandLineOption smoke(QStringLiteral("smoke-test"), QStringLiteral("Open the window, process events and quit (exit code 0 on success)."));
    const QCommandLineOption threads(QStringLiteral("threads"), QStringLiteral("CPU threads for the engine (default: all cores)."), QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption preset(QStringLiteral("preset"), QStringLiteral("Training preset: quick, balanced or paper."), QStringLiteral("NAME"));
    const QCommandLineOption maxSize(QStringLiteral("max-size"), QStringLiteral("Longer side of the finest scale."), QStringLiteral("N"));
    const QCommandLineOption minSize(QStringLiteral("min-size"), QStringLiteral("Shorter side of the coarsest scale."), QStringLiteral("N"));
    const QCommandLineOption scales(QStringLiteral("scales"), QStringLiteral("Number of scales."), QStringLiteral("N"));
    const QCommandLineOption iters(QStringLiteral("iters"), QStringLiteral("Iterations per scale."), QStringLiteral("N"));
    const QCommandLineOption steps(QStringLiteral("langevin-steps"), QStringLiteral("Langevin steps per scale."), QStringLiteral("N"));
    const QCommandLineOption seed(QStringLiteral("seed"), QStringLiteral("Random seed."), QStringLiteral("N"));
    const QCommandLineOption train(QStringLiteral("train"), QStringLiteral("Start training once the image is open."));
    const QCommandLineOption sample(QStringLiteral("sample"), QStringLiteral("Generate N samples (after --train, or from an opened project)."), QStringLiteral("N"));
    const QCommandLineOption shot(QStringLiteral("screenshot"), QStringLiteral("Save a picture of the window to FILE, then quit."), QStringLiteral("FILE"));
    const QCommandLineOption shotAfter(QStringLiteral("screenshot-after"),
                                       QStringLiteral("Milliseconds to wait (after the start, or after the samples with --sample)."),
                                       QStringLiteral("MS"), QStringLiteral("1000"));
    const QCommandLineOption size(QStringLiteral("window-size"), QStringLiteral("Window size, e.g. 1360x860."), QStringLiteral("WxH"));
    const QCommandLineOption maskOpt(QStringLiteral("mask"), QStringLiteral("Load a mask (same size as the image) for the editing tasks."), QStringLiteral("FILE"));
    const QCommandLineOption editOpt(QStringLiteral("edit"), QStringLiteral("After --train, re-synthesize the masked region (the screenshot follows the result)."));
    parser.addOptions({smoke, threads, preset, maxSize, minSize, scales, iters, steps, seed, train, sample, shot, shotAfter, size, maskOpt, editOpt});
    parser.process(app);

    pgcn::ui::initEngine(parser.value(threads).toInt());

    MainWindow window;
    const bool scripted = parser.isSet(smoke) || parser.isSet(shot);
    window.setQuiet(scripted);
    if (parser.isSet(size)) {
        const QStringList wh = parser.value(size).split(QLatin1Char('x'));
        if (wh.size() == 2) {
            const QSize asked(wh[0].toInt(), wh[1].toInt());
            window.resize(asked);
            // Again once shown: on a first start the window sizes itself to the screen then.
            QTimer::singleShot(0, &window, [&window, asked] { window.resize(asked); });
        }
    }

    const QStringList files = parser.positionalArguments();
    if (!files.isEmpty() && !window.openFile(files.first()) && scripted)
        return 1;

    if (parser.isSet(preset) || parser.isSet(maxSize) || parser.isSet(minSize) || parser.isSet(scales) || parser.isSet(iters) || parser.isSet(steps)
        || parser.isSet(seed)) {
        pgcn::ui::TrainSettings s = parser.isSet(preset) ? pgcn::ui::presetSettings(parser.value(preset))
                                                         : window.trainingPanel()->settings();
        if (parser.isSet(maxSize))
            s.maxSize = parser.value(maxSize).toInt();
        if (parser.isSet(minSize))
            s.minSize = parser.value(minSize).toInt();
        if (parser.isSet(scales))
            s.scales = parser.value(scales).toInt();
        if (parser.isSet(iters))
            s.iterations = parser.value(iters).toInt();
        if (parser.isSet(steps))
            s.langevinSteps = parser.value(steps).toInt();
        if (parser.isSet(seed))
            s.seed = parser.value(seed).toULongLong();
        s.configText.clear();
        window.trainingPanel()->setSettings(s);
    }

    window.show();

    if (parser.isSet(maskOpt)) {
        if (!window.loadMaskFile(parser.value(maskOpt)) && scripted)
            return 1;
        // Show the mask tools: the task dock in front, the mask brush chosen.
        if (auto *dock = window.findChild<QDockWidget *>(QStringLiteral("taskDock")))
            dock->raise();
        const auto tools = window.toolManager()->tools();
        if (tools.size() > 1)
            window.toolManager()->selectTool(tools.at(1));
    }

    if (parser.isSet(smoke)) {
        QTimer::singleShot(300, &window, [&window] {
            QApplication::processEvents();
            const bool ok = window.isVisible() && window.centralWidget() != nullptr;
            std::fprintf(stderr, "patchgencn-studio: smoke test %s\n", ok ? "passed" : "FAILED");
            window.close();
            QApplication::exit(ok ? 0 : 1);
        });
        return QCoreApplication::exec();
    }

    const int delay = parser.value(shotAfter).toInt();
    const QString shotPath = parser.value(shot);
    if (parser.isSet(train) && parser.isSet(editOpt)) {
        QObject::connect(&window, &MainWindow::trainingFinished, &window, [&window](const JobOutcome &o) {
            if (o.kind == JobOutcome::Finished)
                QTimer::singleShot(0, &window, &MainWindow::runTask);
        });
        if (!shotPath.isEmpty())
            QObject::connect(&window, &MainWindow::generationFinished, &window, [&window, shotPath, delay](const JobOutcome &) {
                QTimer::singleShot(delay, &window, [&window, shotPath] {
                    grabTo(window, shotPath);
                    window.close();
                });
            });
        QTimer::singleShot(0, &window, &MainWindow::startTraining);
    } else if (parser.isSet(train)) {
        if (parser.isSet(sample)) {
            const int n = std::max(1, parser.value(sample).toInt());
            QObject::connect(&window, &MainWindow::trainingFinished, &window, [&window, n](const JobOutcome &o) {
                if (o.kind == JobOutcome::Finished) {
                    pgcn::ui::SampleSettings s = window.samplePanel()->settings();
                    s.count = n;
                    window.samplePanel()->setSettings(s);
                    window.generate();
                }
            });
            if (!shotPath.isEmpty())
                QObject::connect(&window, &MainWindow::generationFinished, &window, [&window, shotPath, delay](const JobOutcome &) {
                    QTimer::singleShot(delay, &window, [&window, shotPath] {
                        window.gallery()->selectAll();
                        grabTo(window, shotPath);
                        window.close();
                    });
                });
        }
        QTimer::singleShot(0, &window, &MainWindow::startTraining);
    }
    if (!parser.isSet(train) && parser.isSet(sample)) {
        // A project with a trained model: sample once the worker has loaded it.
        const int n = std::max(1, parser.value(sample).toInt());
        auto *poll = new QTimer(&window);
        QObject::connect(poll, &QTimer::timeout, &window, [&window, poll, n] {
            if (window.modelInfo().trainedScales == 0)
                return;
            poll->stop();
            pgcn::ui::SampleSettings s = window.samplePanel()->settings();
            s.count = n;
            window.samplePanel()->setSettings(s);
            window.generate();
        });
        poll->start(100);
        if (!shotPath.isEmpty())
            QObject::connect(&window, &MainWindow::generationFinished, &window, [&window, shotPath, delay](const JobOutcome &) {
                QTimer::singleShot(delay, &window, [&window, shotPath] {
                    window.gallery()->listWidget()->setCurrentRow(0);
                    grabTo(window, shotPath);
                    window.close();
                });
            });
    }
    if (!shotPath.isEmpty() && !parser.isSet(sample) && !parser.isSet(editOpt))
        QTimer::singleShot(delay, &window, [&window, shotPath] {
            grabTo(window, shotPath);
            window.close();
        });
    return QCoreApplication::exec();
}
