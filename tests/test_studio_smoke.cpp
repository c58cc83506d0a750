#include <QProcess>
#include <QProcessEnvironment>
#include <QTemporaryDir>
#include <QTest>

/** Launches the real patchgencn-studio binary offscreen: it must open its window and quit cleanly. */
class TestStudioSmoke : public QObject
{
    Q_OBJECT

    static QProcessEnvironment env(const QTemporaryDir &home)
    {
        QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
        e.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        e.insert(QStringLiteral("XDG_CONFIG_HOME"), home.filePath(QStringLiteral("config")));
        e.insert(QStringLiteral("XDG_DATA_HOME"), home.filePath(QStringLiteral("data")));
        return e;
    }

private Q_SLOTS:
    void launches()
    {
        QTemporaryDir home;
        QProcess p;
        p.setProcessEnvironment(env(home));
        p.start(QStringLiteral(PATCHGENCN_STUDIO), {QStringLiteral("--smoke-test")});
        QVERIFY(p.waitForFinished(30000));
        const QByteArray err = p.readAllStandardError();
        QVERIFY2(p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0, err.constData());
        QVERIFY(err.contains("smoke test passed"));
        // Settings were written for the next run.
        QVERIFY(QFile::exists(home.filePath(QStringLiteral("config/patchgencn/studio.conf"))));
    }

    void versionAndHelp()
    {
        QTemporaryDir home;
        QProcess p;
        p.setProcessEnvironment(env(home));
        p.start(QStringLiteral(PATCHGENCN_STUDIO), {QStringLiteral("--version")});
        QVERIFY(p.waitForFinished(30000));
        QCOMPARE(p.exitCode(), 0);
        QVERIFY(p.readAllStandardOutput().contains(PATCHGENCN_VERSION));
    }

    void helpNeedsNoDisplay()
    {
        // No platform plugin can start here (no DISPLAY, no offscreen): --help and --version
        // still answer, as a command-line tool's do.
        QTemporaryDir home;
        QProcessEnvironment e = env(home);
        e.remove(QStringLiteral("QT_QPA_PLATFORM"));
        e.remove(QStringLiteral("DISPLAY"));
        e.remove(QStringLiteral("WAYLAND_DISPLAY"));
        for (const QString &arg : {QStringLiteral("--help"), QStringLiteral("--version")}) {
            QProcess p;
            p.setProcessEnvironment(e);
            p.start(QStringLiteral(PATCHGENCN_STUDIO), {arg});
            QVERIFY(p.waitForFinished(30000));
            const QByteArray out = p.readAllStandardOutput();
            QVERIFY2(p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0, p.readAllStandardError().constData());
            QVERIFY2(out.contains(arg == QStringLiteral("--help") ? QByteArray("--window-size") : QByteArray(PATCHGENCN_VERSION)),
                     out.constData());
        }
    }

    void refusesMissingFileInScriptedMode()
    {
        QTemporaryDir home;
        QProcess p;
        p.setProcessEnvironment(env(home));
        p.start(QStringLiteral(PATCHGENCN_STUDIO), {QStringLiteral("--smoke-test"), QStringLiteral("/nonexistent/image.png")});
        QVERIFY(p.waitForFinished(30000));
        QCOMPARE(p.exitCode(), 1);
    }
};

QTEST_GUILESS_MAIN(TestStudioSmoke)
#include "test_studio_smoke.moc"
