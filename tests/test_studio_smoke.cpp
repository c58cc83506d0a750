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
