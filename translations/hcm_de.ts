<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de">
<context>
    <name>CronExpression</name>
    <message>
        <source>January</source>
        <translation>Januar</translation>
    </message>
    <message>
        <source>February</source>
        <translation>Februar</translation>
    </message>
    <message>
        <source>March</source>
        <translation>März</translation>
    </message>
    <message>
        <source>April</source>
        <translation>April</translation>
    </message>
    <message>
        <source>May</source>
        <translation>Mai</translation>
    </message>
    <message>
        <source>June</source>
        <translation>Juni</translation>
    </message>
    <message>
        <source>July</source>
        <translation>Juli</translation>
    </message>
    <message>
        <source>August</source>
        <translation>August</translation>
    </message>
    <message>
        <source>September</source>
        <translation>September</translation>
    </message>
    <message>
        <source>October</source>
        <translation>Oktober</translation>
    </message>
    <message>
        <source>November</source>
        <translation>November</translation>
    </message>
    <message>
        <source>December</source>
        <translation>Dezember</translation>
    </message>
    <message>
        <source>Sunday</source>
        <translation>Sonntag</translation>
    </message>
    <message>
        <source>Monday</source>
        <translation>Montag</translation>
    </message>
    <message>
        <source>Tuesday</source>
        <translation>Dienstag</translation>
    </message>
    <message>
        <source>Wednesday</source>
        <translation>Mittwoch</translation>
    </message>
    <message>
        <source>Thursday</source>
        <translation>Donnerstag</translation>
    </message>
    <message>
        <source>Friday</source>
        <translation>Freitag</translation>
    </message>
    <message>
        <source>Saturday</source>
        <translation>Samstag</translation>
    </message>
    <message>
        <source>minute</source>
        <translation>Minute</translation>
    </message>
    <message>
        <source>hour</source>
        <translation>Stunde</translation>
    </message>
    <message>
        <source>day-of-month</source>
        <translation>Tag des Monats</translation>
    </message>
    <message>
        <source>month</source>
        <translation>Monat</translation>
    </message>
    <message>
        <source>day-of-week</source>
        <translation>Wochentag</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1: %2</translation>
    </message>
    <message>
        <source>a value is missing</source>
        <translation>ein Wert fehlt</translation>
    </message>
    <message>
        <source>%1 is out of range %2–%3</source>
        <translation>%1 liegt außerhalb des Bereichs %2–%3</translation>
    </message>
    <message>
        <source>&apos;%1&apos; is neither a number nor a name (%2–%3)</source>
        <translation>„%1“ ist weder eine Zahl noch ein Name (%2–%3)</translation>
    </message>
    <message>
        <source>&apos;%1&apos; is not a number</source>
        <translation>„%1“ ist keine Zahl</translation>
    </message>
    <message>
        <source>empty item in the list &apos;%1&apos;</source>
        <translation>leeres Element in der Liste „%1“</translation>
    </message>
    <message>
        <source>step &apos;%1&apos; is not a number</source>
        <translation>Schrittweite „%1“ ist keine Zahl</translation>
    </message>
    <message>
        <source>step %1 must be at least 1</source>
        <translation>Schrittweite %1 muss mindestens 1 sein</translation>
    </message>
    <message>
        <source>step %1 is larger than the range %2–%3</source>
        <translation>Schrittweite %1 ist größer als der Bereich %2–%3</translation>
    </message>
    <message>
        <source>range %1 runs backwards (%2 is after %3)</source>
        <translation>Bereich %1 läuft rückwärts (%2 liegt nach %3)</translation>
    </message>
    <message>
        <source>%1 through %2</source>
        <translation>%1 bis %2</translation>
    </message>
    <message>
        <source>%1 and %2</source>
        <translation>%1 und %2</translation>
    </message>
    <message>
        <source>the expression is empty</source>
        <translation>der Ausdruck ist leer</translation>
    </message>
    <message>
        <source>unknown macro %1 (known: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)</source>
        <translation>unbekanntes Makro %1 (bekannt: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)</translation>
    </message>
    <message>
        <source>expected 5 fields (minute hour day-of-month month day-of-week), got %1</source>
        <translation>5 Felder erwartet (Minute Stunde Tag-des-Monats Monat Wochentag), %1 erhalten</translation>
    </message>
    <message>
        <source>day-of-month: %1 does not occur in month %2, so the expression never runs</source>
        <translation>Tag des Monats: %1 kommt im Monat %2 nicht vor, daher wird der Ausdruck nie ausgeführt</translation>
    </message>
    <message>
        <source>Every minute</source>
        <translation>Jede Minute</translation>
    </message>
    <message>
        <source>Every %1 minutes</source>
        <translation>Alle %1 Minuten</translation>
    </message>
    <message>
        <source>Every minute during hour %1</source>
        <translation>Jede Minute während Stunde %1</translation>
    </message>
    <message>
        <source>Every hour</source>
        <translation>Jede Stunde</translation>
    </message>
    <message>
        <source>At minute %1 past every hour</source>
        <translation>In Minute %1 jeder Stunde</translation>
    </message>
    <message>
        <source>At %1</source>
        <translation>Um %1</translation>
    </message>
    <message>
        <source>At minute %1 past every %2 hours</source>
        <translation>In Minute %1 alle %2 Stunden</translation>
    </message>
    <message>
        <source>At minute %1 past hour %2</source>
        <translation>In Minute %1 der Stunde %2</translation>
    </message>
    <message>
        <source>on day %1 of the month or on %2</source>
        <translation>am Tag %1 des Monats oder am %2</translation>
    </message>
    <message>
        <source>every day</source>
        <translation>jeden Tag</translation>
    </message>
    <message>
        <source>on %1</source>
        <translation>am %1</translation>
    </message>
    <message>
        <source>on day %1 of the month</source>
        <translation>am Tag %1 des Monats</translation>
    </message>
    <message>
        <source>on day %1 of the month if it is a %2</source>
        <translation>am Tag %1 des Monats, wenn er ein %2 ist</translation>
    </message>
    <message>
        <source>%1, %2</source>
        <translation>%1, %2</translation>
    </message>
    <message>
        <source>%1, in %2</source>
        <translation>%1, im %2</translation>
    </message>
</context>
<context>
    <name>Tr</name>
    <message>
        <source>&quot;%1&quot; is not NAME=N with N from 1 to 1000000.</source>
        <translation>„%1“ ist nicht NAME=N mit N von 1 bis 1000000.</translation>
    </message>
    <message>
        <source>Unknown limit &quot;%1&quot;: use read, create, cancel, settings-write or test-email.</source>
        <translation>Unbekanntes Limit „%1“: verwenden Sie read, create, cancel, settings-write oder test-email.</translation>
    </message>
    <message>
        <source>The API cannot listen on %1:%2: %3</source>
        <translation>Die API kann nicht auf %1:%2 lauschen: %3</translation>
    </message>
    <message>
        <source>--api needs ADDRESS:PORT with an IP address and a port from 0 to 65535 (0: any free port), for example 127.0.0.1:2000; got &quot;%1&quot;.</source>
        <translation>--api braucht ADRESSE:PORT mit einer IP-Adresse und einem Port von 0 bis 65535 (0: beliebiger freier Port), zum Beispiel 127.0.0.1:2000; erhalten: „%1“.</translation>
    </message>
    <message>
        <source>There is no endpoint %1; see /api/openapi.json.</source>
        <translation>Es gibt keinen Endpunkt %1; siehe /api/openapi.json.</translation>
    </message>
    <message>
        <source>%1 is not allowed on %2; allowed: %3.</source>
        <translation>%1 ist für %2 nicht erlaubt; erlaubt: %3.</translation>
    </message>
    <message>
        <source>The server is busy; try again in a moment.</source>
        <translation>Der Server ist ausgelastet; versuchen Sie es gleich noch einmal.</translation>
    </message>
</context>
<context>
    <name>hcm-admin</name>
    <message>
        <source>Desktop console for HCM background jobs.</source>
        <translation>Desktop-Konsole für HCM-Hintergrundjobs.</translation>
    </message>
    <message>
        <source>Do not run jobs in this window (hcm-worker processes run them).</source>
        <translation>Keine Jobs in diesem Fenster ausführen (hcm-worker-Prozesse führen sie aus).</translation>
    </message>
    <message>
        <source>Jobs the in-process worker runs at once (default: %1).</source>
        <translation>Jobs, die der integrierte Worker gleichzeitig ausführt (Standard: %1).</translation>
    </message>
    <message>
        <source>n</source>
        <translation>n</translation>
    </message>
    <message>
        <source>Milliseconds between refreshes for changes by other programs (default: 1000).</source>
        <translation>Millisekunden zwischen Aktualisierungen für Änderungen durch andere Programme (Standard: 1000).</translation>
    </message>
    <message>
        <source>ms</source>
        <translation>ms</translation>
    </message>
    <message>
        <source>Also offer the diagnostic job types.</source>
        <translation>Auch die Diagnose-Jobtypen anbieten.</translation>
    </message>
    <message>
        <source>HCM Admin</source>
        <translation>HCM Admin</translation>
    </message>
    <message>
        <source>--refresh-interval must be a whole number of milliseconds.</source>
        <translation>--refresh-interval muss eine ganze Zahl von Millisekunden sein.</translation>
    </message>
    <message>
        <source>--concurrency must be a whole number from 1 to 256.</source>
        <translation>--concurrency muss eine ganze Zahl von 1 bis 256 sein.</translation>
    </message>
    <message>
        <source>Seconds the in-process worker waits for running jobs when the window closes, on SIGTERM or at logout; then they go back to the queue (default: 30).</source>
        <translation>Sekunden, die der integrierte Worker auf laufende Jobs wartet, wenn das Fenster geschlossen wird, bei SIGTERM oder beim Abmelden; danach gehen sie zurück in die Warteschlange (Standard: 30).</translation>
    </message>
    <message>
        <source>seconds</source>
        <translation>Sekunden</translation>
    </message>
    <message>
        <source>--grace must be a number of seconds from 0 to 86400.</source>
        <translation>--grace muss eine Zahl von Sekunden zwischen 0 und 86400 sein.</translation>
    </message>
</context>
<context>
    <name>hcm-worker</name>
    <message>
        <source>Runs background jobs from the HCM Admin job queue.</source>
        <translation>Führt Hintergrundjobs aus der Job-Warteschlange von HCM Admin aus.</translation>
    </message>
    <message>
        <source>path</source>
        <translation>Pfad</translation>
    </message>
    <message>
        <source>Jobs run at the same time (default: %1).</source>
        <translation>Gleichzeitig ausgeführte Jobs (Standard: %1).</translation>
    </message>
    <message>
        <source>n</source>
        <translation>n</translation>
    </message>
    <message>
        <source>Seconds between polls for due jobs, the safety net behind instant wake-ups (default: 5).</source>
        <translation>Sekunden zwischen Abfragen nach fälligen Jobs, das Sicherheitsnetz hinter dem sofortigen Aufwecken (Standard: 5).</translation>
    </message>
    <message>
        <source>seconds</source>
        <translation>Sekunden</translation>
    </message>
    <message>
        <source>Seconds a job stays reserved without a heartbeat (default: 30).</source>
        <translation>Sekunden, die ein Job ohne Heartbeat reserviert bleibt (Standard: 30).</translation>
    </message>
    <message>
        <source>Seconds to wait for running jobs on shutdown (default: 30).</source>
        <translation>Sekunden, die beim Herunterfahren auf laufende Jobs gewartet wird (Standard: 30).</translation>
    </message>
    <message>
        <source>Name of this worker (default: host:pid:random).</source>
        <translation>Name dieses Workers (Standard: host:pid:zufall).</translation>
    </message>
    <message>
        <source>id</source>
        <translation>ID</translation>
    </message>
    <message>
        <source>Log file (default: hcm-worker.log in the log folder).</source>
        <translation>Logdatei (Standard: hcm-worker.log im Log-Ordner).</translation>
    </message>
    <message>
        <source>Folder of the log files.</source>
        <translation>Ordner der Logdateien.</translation>
    </message>
    <message>
        <source>Application cache folder.</source>
        <translation>Cache-Ordner der Anwendung.</translation>
    </message>
    <message>
        <source>Also run the diagnostic job types (test.noop, test.sleep, test.fail, test.record).</source>
        <translation>Auch die Diagnose-Jobtypen ausführen (test.noop, test.sleep, test.fail, test.record).</translation>
    </message>
    <message>
        <source>unexpected argument &quot;%1&quot;; see --help.</source>
        <translation>unerwartetes Argument „%1“; siehe --help.</translation>
    </message>
    <message>
        <source>--poll-interval must be a number of seconds from 0.01 to 3600.</source>
        <translation>--poll-interval muss eine Zahl von Sekunden zwischen 0,01 und 3600 sein.</translation>
    </message>
    <message>
        <source>--lease must be a number of seconds from 0.3 to 86400.</source>
        <translation>--lease muss eine Zahl von Sekunden zwischen 0,3 und 86400 sein.</translation>
    </message>
    <message>
        <source>--grace must be a number of seconds from 0 to 86400.</source>
        <translation>--grace muss eine Zahl von Sekunden zwischen 0 und 86400 sein.</translation>
    </message>
    <message>
        <source>Run the jobs that are due now, then exit (with status 1 when the database keeps refusing claims).</source>
        <translation>Die jetzt fälligen Jobs ausführen, dann beenden (mit Status 1, wenn die Datenbank Übernahmen weiterhin verweigert).</translation>
    </message>
    <message>
        <source>Serve the HTTP API on ADDRESS:PORT (default 127.0.0.1:2000; port 0: any free port, printed at start). See docs/api.md.</source>
        <translation>Die HTTP-API auf ADRESSE:PORT bereitstellen (Standard 127.0.0.1:2000; Port 0: beliebiger freier Port, wird beim Start ausgegeben). Siehe docs/api.md.</translation>
    </message>
    <message>
        <source>address:port</source>
        <translation>adresse:port</translation>
    </message>
    <message>
        <source>Serve the API over HTTPS with this certificate (PEM).</source>
        <translation>Die API über HTTPS mit diesem Zertifikat (PEM) bereitstellen.</translation>
    </message>
    <message>
        <source>file</source>
        <translation>datei</translation>
    </message>
    <message>
        <source>The private key (PEM) of --api-cert.</source>
        <translation>Der private Schlüssel (PEM) zu --api-cert.</translation>
    </message>
    <message>
        <source>Serve plain HTTP on an address other than loopback (behind a TLS reverse proxy on a trusted network only).</source>
        <translation>Unverschlüsseltes HTTP auf einer anderen Adresse als Loopback bereitstellen (nur hinter einem TLS-Reverse-Proxy in einem vertrauenswürdigen Netz).</translation>
    </message>
    <message>
        <source>Requests per minute per token: read=20,create=20,cancel=20,settings-write=10,test-email=5 (name only those you change).</source>
        <translation>Anfragen pro Minute und Token: read=20,create=20,cancel=20,settings-write=10,test-email=5 (nur die zu ändernden angeben).</translation>
    </message>
    <message>
        <source>limits</source>
        <translation>limits</translation>
    </message>
    <message>
        <source>Seconds a client has to send a request&apos;s head (default: 10); the body gets 30 s, an idle connection 60 s.</source>
        <translation>Sekunden, die ein Client zum Senden des Anfragekopfs hat (Standard: 10); der Body bekommt 30 s, eine inaktive Verbindung 60 s.</translation>
    </message>
    <message>
        <source>Open API connections at most; more are answered 503 (default: 1000).</source>
        <translation>Höchstzahl offener API-Verbindungen; weitere werden mit 503 beantwortet (Standard: 1000).</translation>
    </message>
    <message>
        <source>--concurrency must be a whole number from 1 to 256 (0, with --api: serve the API without running jobs).</source>
        <translation>--concurrency muss eine ganze Zahl von 1 bis 256 sein (0 mit --api: die API bereitstellen, ohne Jobs auszuführen).</translation>
    </message>
    <message>
        <source>--api cannot be combined with --once.</source>
        <translation>--api kann nicht mit --once kombiniert werden.</translation>
    </message>
    <message>
        <source>--api-cert and --api-key go together.</source>
        <translation>--api-cert und --api-key gehören zusammen.</translation>
    </message>
    <message>
        <source>cannot read the certificate %1: %2</source>
        <translation>das Zertifikat %1 kann nicht gelesen werden: %2</translation>
    </message>
    <message>
        <source>cannot read the key %1: %2</source>
        <translation>der Schlüssel %1 kann nicht gelesen werden: %2</translation>
    </message>
    <message>
        <source>--api-cert and --api-key must be a PEM certificate and its unencrypted PEM private key (RSA or EC).</source>
        <translation>--api-cert und --api-key müssen ein PEM-Zertifikat und sein unverschlüsselter privater PEM-Schlüssel (RSA oder EC) sein.</translation>
    </message>
    <message>
        <source>--api %1 is not a loopback address: bearer tokens would cross the network in plain text, where anyone on the path can read and reuse them. Give --api-cert and --api-key for HTTPS, or put a TLS reverse proxy in front and add --api-insecure (docs/api.md).</source>
        <translation>--api %1 ist keine Loopback-Adresse: Bearer-Token würden im Klartext durchs Netz gehen, wo jeder auf dem Weg sie lesen und wiederverwenden kann. Geben Sie --api-cert und --api-key für HTTPS an oder schalten Sie einen TLS-Reverse-Proxy davor und fügen Sie --api-insecure hinzu (docs/api.md).</translation>
    </message>
    <message>
        <source>--api-threads must be a whole number from 1 to 64.</source>
        <translation>--api-threads muss eine ganze Zahl von 1 bis 64 sein.</translation>
    </message>
    <message>
        <source>--api-header-timeout must be a number of seconds from 0.1 to 3600.</source>
        <translation>--api-header-timeout muss eine Anzahl Sekunden von 0.1 bis 3600 sein.</translation>
    </message>
    <message>
        <source>--api-max-connections must be a whole number from 1 to 100000.</source>
        <translation>--api-max-connections muss eine ganze Zahl von 1 bis 100000 sein.</translation>
    </message>
    <message>
        <source>Displays version information.</source>
        <translation>Zeigt Versionsinformationen an.</translation>
    </message>
    <message>
        <source>Threads answering API requests, each with its own database connection (default: 8).</source>
        <translation>Threads, die API-Anfragen beantworten, jeder mit eigener Datenbankverbindung (Standard: 8).</translation>
    </message>
</context>
<context>
    <name>hcm::Alert</name>
    <message>
        <source>Error: %1</source>
        <translation>Fehler: %1</translation>
    </message>
    <message>
        <source>Next attempt: %1</source>
        <translation>Nächster Versuch: %1</translation>
    </message>
    <message>
        <source>Reported by %1 at %2.</source>
        <translation>Gemeldet von %1 um %2.</translation>
    </message>
    <message numerus="yes">
        <source>%1 (%2) failed after %n retries</source>
        <translation>
            <numerusform>%1 (%2) nach %n Wiederholung fehlgeschlagen</numerusform>
            <numerusform>%1 (%2) nach %n Wiederholungen fehlgeschlagen</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 (%2) completed</source>
        <translation>%1 (%2) abgeschlossen</translation>
    </message>
    <message>
        <source>%1 (%2) failed, retry %3 of %4</source>
        <translation>%1 (%2) fehlgeschlagen, Wiederholung %3 von %4</translation>
    </message>
    <message>
        <source>the worker running %1 (%2) was lost</source>
        <extracomment>%1 job id, %2 job type</extracomment>
        <translation>der Worker, der %1 (%2) ausführte, ist verloren gegangen</translation>
    </message>
    <message>
        <source>%1 (%2): %3</source>
        <translation>%1 (%2): %3</translation>
    </message>
    <message>
        <source>[HCM] %1</source>
        <extracomment>the subject of an alert email; %1 says what happened (&quot;job_12 (db_optimize) completed&quot;)</extracomment>
        <translation>[HCM] %1</translation>
    </message>
</context>
<context>
    <name>hcm::AlertDigest</name>
    <message>
        <source>1 job failed</source>
        <translation>1 Job fehlgeschlagen</translation>
    </message>
    <message numerus="yes">
        <source>%n jobs failed</source>
        <translation>
            <numerusform>%n Job fehlgeschlagen</numerusform>
            <numerusform>%n Jobs fehlgeschlagen</numerusform>
        </translation>
    </message>
    <message>
        <source>1 job completed</source>
        <translation>1 Job abgeschlossen</translation>
    </message>
    <message numerus="yes">
        <source>%n jobs completed</source>
        <translation>
            <numerusform>%n Job abgeschlossen</numerusform>
            <numerusform>%n Jobs abgeschlossen</numerusform>
        </translation>
    </message>
    <message>
        <source>1 job retried</source>
        <translation>1 Job wiederholt</translation>
    </message>
    <message numerus="yes">
        <source>%n jobs retried</source>
        <translation>
            <numerusform>%n Job wiederholt</numerusform>
            <numerusform>%n Jobs wiederholt</numerusform>
        </translation>
    </message>
    <message>
        <source>1 worker lost</source>
        <translation>1 Worker verloren</translation>
    </message>
    <message numerus="yes">
        <source>%n workers lost</source>
        <translation>
            <numerusform>%n Worker verloren</numerusform>
            <numerusform>%n Worker verloren</numerusform>
        </translation>
    </message>
    <message>
        <source>1 other alert</source>
        <translation>1 weitere Warnung</translation>
    </message>
    <message numerus="yes">
        <source>%n other alerts</source>
        <translation>
            <numerusform>%n weitere Warnung</numerusform>
            <numerusform>%n weitere Warnungen</numerusform>
        </translation>
    </message>
    <message>
        <source>1 job failed after its last retry</source>
        <translation>1 Job nach seiner letzten Wiederholung fehlgeschlagen</translation>
    </message>
    <message numerus="yes">
        <source>%n jobs failed after their last retry</source>
        <translation>
            <numerusform>%n Job nach seiner letzten Wiederholung fehlgeschlagen</numerusform>
            <numerusform>%n Jobs nach ihrer letzten Wiederholung fehlgeschlagen</numerusform>
        </translation>
    </message>
    <message>
        <source>1 job failed and will be retried</source>
        <translation>1 Job fehlgeschlagen, wird wiederholt</translation>
    </message>
    <message numerus="yes">
        <source>%n jobs failed and will be retried</source>
        <translation>
            <numerusform>%n Job fehlgeschlagen, wird wiederholt</numerusform>
            <numerusform>%n Jobs fehlgeschlagen, werden wiederholt</numerusform>
        </translation>
    </message>
    <message>
        <source>1 job lost its worker</source>
        <translation>1 Job hat seinen Worker verloren</translation>
    </message>
    <message numerus="yes">
        <source>%n jobs lost their worker</source>
        <translation>
            <numerusform>%n Job hat seinen Worker verloren</numerusform>
            <numerusform>%n Jobs haben ihren Worker verloren</numerusform>
        </translation>
    </message>
    <message>
        <source>[HCM] Alert digest: %1</source>
        <extracomment>the subject of a digest email; %1 lists the counts (&quot;3 jobs failed, 1 job retried&quot;)</extracomment>
        <translation>[HCM] Zusammenfassung der Warnungen: %1</translation>
    </message>
    <message>
        <source>1 alert from %1 to %2 (%3), collected for the hourly digest:</source>
        <extracomment>%1 and %2 local times, %3 the time zone</extracomment>
        <translation>1 Warnung von %1 bis %2 (%3), gesammelt für die stündliche Zusammenfassung:</translation>
    </message>
    <message numerus="yes">
        <source>%n alerts from %1 to %2 (%3), collected for the hourly digest:</source>
        <translation>
            <numerusform>%n Warnung von %1 bis %2 (%3), gesammelt für die stündliche Zusammenfassung:</numerusform>
            <numerusform>%n Warnungen von %1 bis %2 (%3), gesammelt für die stündliche Zusammenfassung:</numerusform>
        </translation>
    </message>
    <message>
        <source>1 alert from %1 to %2 (%3), collected for the daily digest:</source>
        <translation>1 Warnung von %1 bis %2 (%3), gesammelt für die tägliche Zusammenfassung:</translation>
    </message>
    <message numerus="yes">
        <source>%n alerts from %1 to %2 (%3), collected for the daily digest:</source>
        <translation>
            <numerusform>%n Warnung von %1 bis %2 (%3), gesammelt für die tägliche Zusammenfassung:</numerusform>
            <numerusform>%n Warnungen von %1 bis %2 (%3), gesammelt für die tägliche Zusammenfassung:</numerusform>
        </translation>
    </message>
    <message>
        <source>1 alert from %1 to %2 (%3) that was waiting for a digest:</source>
        <translation>1 Warnung von %1 bis %2 (%3), die auf eine Zusammenfassung wartete:</translation>
    </message>
    <message numerus="yes">
        <source>%n alerts from %1 to %2 (%3) that were waiting for a digest:</source>
        <translation>
            <numerusform>%n Warnung von %1 bis %2 (%3), die auf eine Zusammenfassung wartete:</numerusform>
            <numerusform>%n Warnungen von %1 bis %2 (%3), die auf eine Zusammenfassung warteten:</numerusform>
        </translation>
    </message>
    <message>
        <source>Error: %1</source>
        <translation>Fehler: %1</translation>
    </message>
    <message>
        <source>Next attempt: %1</source>
        <translation>Nächster Versuch: %1</translation>
    </message>
    <message numerus="yes">
        <source>… and %n more (the jobs page lists them all).</source>
        <translation>
            <numerusform>… und %n weitere (die Job-Seite listet alle auf).</numerusform>
            <numerusform>… und %n weitere (die Job-Seite listet alle auf).</numerusform>
        </translation>
    </message>
    <message>
        <source>Reported by %1 at %2.</source>
        <translation>Gemeldet von %1 um %2.</translation>
    </message>
    <message>
        <source>Latest: %1</source>
        <translation>Zuletzt: %1</translation>
    </message>
</context>
<context>
    <name>hcm::ApiRateLimiter</name>
    <message>
        <source>counting the request for the rate limit</source>
        <translation>Zählen der Anfrage für das Ratenlimit</translation>
    </message>
    <message>
        <source>The database did not return the request count.</source>
        <translation>Die Datenbank hat die Anzahl der Anfragen nicht zurückgegeben.</translation>
    </message>
    <message>
        <source>deleting past rate windows</source>
        <translation>Löschen vergangener Ratenfenster</translation>
    </message>
</context>
<context>
    <name>hcm::ApiTokenStore</name>
    <message>
        <source>There is no user &quot;%1&quot;.</source>
        <translation>Es gibt keinen Benutzer „%1“.</translation>
    </message>
    <message>
        <source>A token needs a name of 1 to 200 characters that says what it is for.</source>
        <translation>Ein Token braucht einen Namen mit 1 bis 200 Zeichen, der seinen Zweck angibt.</translation>
    </message>
    <message>
        <source>The rate limit must be from 1 to 1000000 per minute.</source>
        <translation>Das Ratenlimit muss zwischen 1 und 1000000 pro Minute liegen.</translation>
    </message>
    <message>
        <source>The expiry time lies in the past.</source>
        <translation>Der Ablaufzeitpunkt liegt in der Vergangenheit.</translation>
    </message>
    <message>
        <source>The user &quot;%1&quot; is disabled: enable it before creating a token.</source>
        <translation>Der Benutzer „%1“ ist deaktiviert: aktivieren Sie ihn, bevor Sie ein Token erstellen.</translation>
    </message>
    <message>
        <source>storing the token</source>
        <translation>Speichern des Tokens</translation>
    </message>
    <message>
        <source>The database did not return the new token&apos;s id.</source>
        <translation>Die Datenbank hat die ID des neuen Tokens nicht zurückgegeben.</translation>
    </message>
    <message>
        <source>listing the tokens</source>
        <translation>Auflisten der Token</translation>
    </message>
    <message>
        <source>revoking the token</source>
        <translation>Widerrufen des Tokens</translation>
    </message>
    <message>
        <source>Token %1 is revoked already.</source>
        <translation>Token %1 ist bereits widerrufen.</translation>
    </message>
    <message>
        <source>There is no token %1.</source>
        <translation>Es gibt kein Token %1.</translation>
    </message>
    <message>
        <source>The token is not valid.</source>
        <translation>Das Token ist ungültig.</translation>
    </message>
    <message>
        <source>checking the token</source>
        <translation>Prüfen des Tokens</translation>
    </message>
    <message>
        <source>The token was revoked.</source>
        <translation>Das Token wurde widerrufen.</translation>
    </message>
    <message>
        <source>The token has expired.</source>
        <translation>Das Token ist abgelaufen.</translation>
    </message>
    <message>
        <source>The token&apos;s user no longer exists.</source>
        <translation>Der Benutzer des Tokens existiert nicht mehr.</translation>
    </message>
    <message>
        <source>The token&apos;s user is disabled.</source>
        <translation>Der Benutzer des Tokens ist deaktiviert.</translation>
    </message>
    <message>
        <source>The user &quot;%1&quot; has an unknown role.</source>
        <translation>Der Benutzer „%1“ hat eine unbekannte Rolle.</translation>
    </message>
    <message>
        <source>recording the token&apos;s use</source>
        <translation>Erfassen der Verwendung des Tokens</translation>
    </message>
</context>
<context>
    <name>hcm::AsyncAuditService</name>
    <message>
        <source>Could not write %1: %2</source>
        <translation>%1 konnte nicht geschrieben werden: %2</translation>
    </message>
</context>
<context>
    <name>hcm::AuditStore</name>
    <message>
        <source>writing the audit trail</source>
        <translation>Schreiben des Audit-Protokolls</translation>
    </message>
    <message>
        <source>reading the audit trail</source>
        <translation>Lesen des Audit-Protokolls</translation>
    </message>
    <message>
        <source>reading the audit retention</source>
        <translation>Lesen der Audit-Aufbewahrungsdauer</translation>
    </message>
    <message>
        <source>removing expired audit rows</source>
        <translation>Entfernen abgelaufener Audit-Zeilen</translation>
    </message>
    <message>
        <source>The database did not return the audit row&apos;s id.</source>
        <translation>Die Datenbank hat die ID der Audit-Zeile nicht zurückgegeben.</translation>
    </message>
</context>
<context>
    <name>hcm::AuditTableModel</name>
    <message>
        <source>(none)</source>
        <extracomment>an audited setting that had no value before or after the change</extracomment>
        <translation>(keine)</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>ja</translation>
    </message>
    <message>
        <source>no</source>
        <translation>nein</translation>
    </message>
    <message>
        <source>(empty)</source>
        <extracomment>an audited setting whose value was the empty text</extracomment>
        <translation>(leer)</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>Zeit</translation>
    </message>
    <message>
        <source>User</source>
        <translation>Benutzer</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>Rolle</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>Aktion</translation>
    </message>
    <message>
        <source>Target</source>
        <translation>Ziel</translation>
    </message>
    <message>
        <source>Outcome</source>
        <translation>Ergebnis</translation>
    </message>
    <message>
        <source>Changes</source>
        <translation>Änderungen</translation>
    </message>
    <message>
        <source>Via</source>
        <translation>Über</translation>
    </message>
    <message>
        <source>From %1</source>
        <translation>Von %1</translation>
    </message>
    <message>
        <source>%1: changed</source>
        <extracomment>an audited secret (password, token) was changed; its value is never shown</extracomment>
        <translation>%1: geändert</translation>
    </message>
    <message>
        <source>%1: %2 → %3</source>
        <extracomment>an audited field&apos;s change: &quot;smtp_host: old.example.com → smtp.example.com&quot;</extracomment>
        <translation>%1: %2 → %3</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1: %2</translation>
    </message>
    <message numerus="yes">
        <source>%1 and %n more</source>
        <extracomment>the ids of a bulk action&apos;s targets: &quot;1, 2, 3 and 12 more&quot;</extracomment>
        <translation>
            <numerusform>%1 und %n weitere</numerusform>
            <numerusform>%1 und %n weitere</numerusform>
        </translation>
    </message>
    <message>
        <source>Refused</source>
        <extracomment>outcome of an audited action: it was carried out, or refused for lack of permission</extracomment>
        <translation>Abgelehnt</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>Erledigt</translation>
    </message>
    <message>
        <source>Desktop</source>
        <extracomment>the interface an audited action came through: the desktop program</extracomment>
        <translation>Desktop</translation>
    </message>
    <message>
        <source>hcmctl</source>
        <translation>hcmctl</translation>
    </message>
    <message>
        <source>HTTP API</source>
        <translation>HTTP-API</translation>
    </message>
    <message>
        <source>Worker</source>
        <translation>Worker</translation>
    </message>
    <message>
        <source>System</source>
        <translation>System</translation>
    </message>
</context>
<context>
    <name>hcm::CacheFlushHandler</name>
    <message>
        <source>measuring the cache table</source>
        <translation>Messen der Cache-Tabelle</translation>
    </message>
    <message>
        <source>clearing the cache table</source>
        <translation>Leeren der Cache-Tabelle</translation>
    </message>
</context>
<context>
    <name>hcm::CleanupHandler</name>
    <message>
        <source>deleting expired cache entries</source>
        <translation>Löschen abgelaufener Cache-Einträge</translation>
    </message>
</context>
<context>
    <name>hcm::Database</name>
    <message>
        <source>%1 is a folder, not a database file.</source>
        <translation>%1 ist ein Ordner, keine Datenbankdatei.</translation>
    </message>
    <message>
        <source>opening %1</source>
        <translation>Öffnen von %1</translation>
    </message>
    <message>
        <source>the database is busy: another program kept it locked for too long (%1)</source>
        <translation>die Datenbank ist ausgelastet: ein anderes Programm hat sie zu lange gesperrt (%1)</translation>
    </message>
    <message>
        <source>the database file is read-only: check its permissions (%1)</source>
        <translation>die Datenbankdatei ist schreibgeschützt: prüfen Sie ihre Berechtigungen (%1)</translation>
    </message>
    <message>
        <source>the disk is full: free some space and try again (%1)</source>
        <translation>der Datenträger ist voll: schaffen Sie Platz und versuchen Sie es erneut (%1)</translation>
    </message>
    <message>
        <source>Database error: %1</source>
        <translation>Datenbankfehler: %1</translation>
    </message>
    <message>
        <source>Database error while %1: %2</source>
        <translation>Datenbankfehler beim %1: %2</translation>
    </message>
    <message>
        <source>Qt&apos;s PostgreSQL driver (QPSQL) is not installed: install the package libqt6sql6-psql.</source>
        <translation>Der PostgreSQL-Treiber von Qt (QPSQL) ist nicht installiert: installieren Sie das Paket libqt6sql6-psql.</translation>
    </message>
    <message>
        <source>Cannot connect to %1: %2</source>
        <translation>Keine Verbindung zu %1 möglich: %2</translation>
    </message>
    <message>
        <source>configuring the connection to %1</source>
        <translation>Konfigurieren der Verbindung zu %1</translation>
    </message>
    <message>
        <source>checking the connection</source>
        <translation>Prüfen der Verbindung</translation>
    </message>
    <message>
        <source>the connection to the database server was lost (%1)</source>
        <translation>die Verbindung zum Datenbankserver ist abgebrochen (%1)</translation>
    </message>
    <message>
        <source>configuring %1</source>
        <translation>Konfigurieren von %1</translation>
    </message>
    <message>
        <source>reading %1</source>
        <translation>Lesen von %1</translation>
    </message>
    <message>
        <source>starting a transaction</source>
        <translation>Starten einer Transaktion</translation>
    </message>
    <message>
        <source>committing</source>
        <translation>Festschreiben</translation>
    </message>
    <message>
        <source>preparing a statement</source>
        <translation>Vorbereiten einer Anweisung</translation>
    </message>
    <message>
        <source>Database error while %1: the connection is not an open SQLite database.</source>
        <translation>Datenbankfehler beim %1: Die Verbindung ist keine geöffnete SQLite-Datenbank.</translation>
    </message>
    <message>
        <source>%1 is not an SQLite database file, or it is damaged (%2). Choose another file with --db, or move this one away.</source>
        <translation>%1 ist keine SQLite-Datenbankdatei oder sie ist beschädigt (%2). Wählen Sie mit --db eine andere Datei oder verschieben Sie diese.</translation>
    </message>
    <message>
        <source>%1 is not an SQLite database file: it is a device, a pipe or a socket.</source>
        <translation>%1 ist keine SQLite-Datenbankdatei: es ist ein Gerät, eine Pipe oder ein Socket.</translation>
    </message>
    <message>
        <source>Cannot open %1: %2.</source>
        <translation>%1 kann nicht geöffnet werden: %2.</translation>
    </message>
    <message>
        <source>There is no database at %1; create it with &quot;hcmctl db migrate --db %1&quot; (or start hcm-admin or hcm-worker with it).</source>
        <translation>Unter %1 gibt es keine Datenbank; legen Sie sie mit „hcmctl db migrate --db %1“ an (oder starten Sie hcm-admin oder hcm-worker damit).</translation>
    </message>
    <message>
        <source>Cannot create the folder %1 for the database: %2</source>
        <translation>Der Ordner %1 für die Datenbank kann nicht angelegt werden: %2</translation>
    </message>
    <message>
        <source>the check returned nothing</source>
        <translation>die Prüfung lieferte nichts</translation>
    </message>
    <message>
        <source>The database file %1 is damaged (%2). Stop every program that uses it and restore it from a backup, or recover what is readable with: sqlite3 &quot;%1&quot; .recover | sqlite3 recovered.db</source>
        <translation>Die Datenbankdatei %1 ist beschädigt (%2). Beenden Sie alle Programme, die sie verwenden, und stellen Sie sie aus einer Sicherung wieder her, oder retten Sie das Lesbare mit: sqlite3 &quot;%1&quot; .recover | sqlite3 recovered.db</translation>
    </message>
    <message>
        <source>the database file could not be read or written (%1)</source>
        <translation>die Datenbankdatei konnte nicht gelesen oder geschrieben werden (%1)</translation>
    </message>
    <message>
        <source>rolling back</source>
        <translation>Zurücknehmen der Änderungen</translation>
    </message>
    <message>
        <source>The database ended the transaction unexpectedly.</source>
        <translation>Die Datenbank hat die Transaktion unerwartet beendet.</translation>
    </message>
    <message>
        <source>The program is shutting down; the change was not made.</source>
        <translation>Das Programm wird beendet; die Änderung wurde nicht ausgeführt.</translation>
    </message>
</context>
<context>
    <name>hcm::DatabaseInfo</name>
    <message>
        <source>reading the SQLite version</source>
        <translation>Lesen der SQLite-Version</translation>
    </message>
    <message>
        <source>reading the journal mode</source>
        <translation>Lesen des Journal-Modus</translation>
    </message>
    <message>
        <source>reading the server&apos;s details</source>
        <translation>Lesen der Serverangaben</translation>
    </message>
    <message>
        <source>reading the applied migrations</source>
        <translation>Lesen der angewendeten Migrationen</translation>
    </message>
</context>
<context>
    <name>hcm::DbConfig</name>
    <message>
        <source>SQLite %1</source>
        <translation>SQLite %1</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a valid PostgreSQL address (%2). Use postgresql://user:password@host:port/database.</source>
        <translation>„%1“ ist keine gültige PostgreSQL-Adresse (%2). Verwenden Sie postgresql://user:password@host:port/database.</translation>
    </message>
    <message>
        <source>The database name &quot;%1&quot; contains a slash.</source>
        <translation>Der Datenbankname „%1“ enthält einen Schrägstrich.</translation>
    </message>
    <message>
        <source>No PostgreSQL database named: put it in the address (postgresql://host/dbname) or set PGDATABASE.</source>
        <translation>Keine PostgreSQL-Datenbank angegeben: nennen Sie sie in der Adresse (postgresql://host/dbname) oder setzen Sie PGDATABASE.</translation>
    </message>
    <message>
        <source>Unknown database address &quot;%1&quot;: give a file path for SQLite or a postgresql:// URL.</source>
        <translation>Unbekannte Datenbankadresse „%1“: geben Sie einen Dateipfad für SQLite oder eine postgresql://-URL an.</translation>
    </message>
    <message>
        <source>PostgreSQL %1@%2:%3/%4</source>
        <translation>PostgreSQL %1@%2:%3/%4</translation>
    </message>
    <message>
        <source>The database address has an unknown option &quot;%1&quot;. Allowed options: host, port, user, password, dbname, %2.</source>
        <translation>Die Datenbankadresse enthält die unbekannte Option „%1“. Erlaubte Optionen: host, port, user, password, dbname, %2.</translation>
    </message>
    <message>
        <source>The option %1 of the database address contains a semicolon or a control character, which are not allowed.</source>
        <translation>Die Option %1 der Datenbankadresse enthält ein Semikolon oder ein Steuerzeichen; beides ist nicht erlaubt.</translation>
    </message>
    <message>
        <source>The option %1 of the database address must be one of %2; &quot;%3&quot; was given.</source>
        <translation>Die Option %1 der Datenbankadresse muss einer dieser Werte sein: %2; angegeben wurde „%3“.</translation>
    </message>
    <message>
        <source>The option %1 of the database address must be a whole number from %2 to %3; &quot;%4&quot; was given.</source>
        <translation>Die Option %1 der Datenbankadresse muss eine ganze Zahl von %2 bis %3 sein; angegeben wurde „%4“.</translation>
    </message>
    <message>
        <source>The option %1 of the database address needs a file path.</source>
        <translation>Die Option %1 der Datenbankadresse braucht einen Dateipfad.</translation>
    </message>
    <message>
        <source>The option %1 of the database address needs a text of 1 to %2 bytes.</source>
        <translation>Die Option %1 der Datenbankadresse braucht einen Text von 1 bis %2 Byte.</translation>
    </message>
    <message>
        <source>The port &quot;%1&quot; in the database address is not a number from 1 to 65535.</source>
        <translation>Der Port „%1“ in der Datenbankadresse ist keine Zahl von 1 bis 65535.</translation>
    </message>
    <message>
        <source>The option %1 is given twice in the database address.</source>
        <translation>Die Option %1 steht zweimal in der Datenbankadresse.</translation>
    </message>
    <message>
        <source>the host is not an IPv6 address in brackets</source>
        <translation>der Host ist keine IPv6-Adresse in eckigen Klammern</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a valid PostgreSQL address: it has an &apos;@&apos; after the first &apos;/&apos;. Write a &apos;/&apos; in the user name or password as %2, an &apos;@&apos; in the database name as %3; or leave the password out of the address and set PGPASSWORD or ~/.pgpass.</source>
        <extracomment>%2 and %3 are the percent-encodings of / and @ (&quot;%2F&quot;)</extracomment>
        <translation>„%1“ ist keine gültige PostgreSQL-Adresse: sie enthält ein „@“ nach dem ersten „/“. Schreiben Sie ein „/“ im Benutzernamen oder Passwort als %2, ein „@“ im Datenbanknamen als %3; oder lassen Sie das Passwort aus der Adresse weg und setzen Sie PGPASSWORD oder ~/.pgpass.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a valid PostgreSQL address: the user name or password has characters that must be percent-encoded, such as %2 for a space or %3 for %. Or leave the password out of the address and set PGPASSWORD or ~/.pgpass.</source>
        <extracomment>%2 and %3 are percent-encodings (of a space and of %)</extracomment>
        <translation>„%1“ ist keine gültige PostgreSQL-Adresse: Benutzername oder Passwort enthalten Zeichen, die prozentkodiert werden müssen, etwa %2 für ein Leerzeichen oder %3 für %. Oder lassen Sie das Passwort aus der Adresse weg und setzen Sie PGPASSWORD oder ~/.pgpass.</translation>
    </message>
    <message>
        <source>the host name has characters a host name cannot have</source>
        <translation>der Hostname enthält Zeichen, die ein Hostname nicht enthalten kann</translation>
    </message>
    <message>
        <source>a PostgreSQL address has no part after &apos;#&apos;: write a &apos;#&apos; as %1</source>
        <translation>eine PostgreSQL-Adresse hat keinen Teil nach „#“: schreiben Sie ein „#“ als %1</translation>
    </message>
    <message>
        <source>the database name has a &apos;%&apos; that is not an escape such as %1</source>
        <translation>der Datenbankname enthält ein „%“, das keine Escape-Sequenz wie %1 ist</translation>
    </message>
    <message>
        <source>an option has a &apos;%&apos; that is not an escape such as %1</source>
        <translation>eine Option enthält ein „%“, das keine Escape-Sequenz wie %1 ist</translation>
    </message>
    <message>
        <source>The database path &quot;%1&quot; starts with &quot;~&quot; followed by a name, which this program does not expand: write the full path (or ./%1 for a file whose name starts with &quot;~&quot;).</source>
        <translation>Der Datenbankpfad „%1“ beginnt mit „~“ gefolgt von einem Namen, was dieses Programm nicht erweitert: schreiben Sie den vollständigen Pfad (oder ./%1 für eine Datei, deren Name mit „~“ beginnt).</translation>
    </message>
</context>
<context>
    <name>hcm::DbOptimizeHandler</name>
    <message>
        <source>listing the tables</source>
        <translation>Auflisten der Tabellen</translation>
    </message>
    <message>
        <source>updating the planner statistics</source>
        <translation>Aktualisieren der Planer-Statistiken</translation>
    </message>
    <message>
        <source>rebuilding the database file</source>
        <translation>Neuaufbau der Datenbankdatei</translation>
    </message>
    <message>
        <source>optimizing the database</source>
        <translation>Optimieren der Datenbank</translation>
    </message>
    <message>
        <source>writing the log back to the database file</source>
        <translation>Zurückschreiben des Logs in die Datenbankdatei</translation>
    </message>
    <message>
        <source>reading PRAGMA %1</source>
        <translation>Lesen von PRAGMA %1</translation>
    </message>
    <message>
        <source>PRAGMA %1 returned no value.</source>
        <translation>PRAGMA %1 lieferte keinen Wert.</translation>
    </message>
    <message>
        <source>releasing free pages</source>
        <translation>Freigeben freier Seiten</translation>
    </message>
</context>
<context>
    <name>hcm::DeliveryStore</name>
    <message>
        <source>logging a notification delivery</source>
        <translation>Protokollieren einer Benachrichtigungszustellung</translation>
    </message>
    <message>
        <source>reading notification deliveries</source>
        <translation>Lesen der Benachrichtigungszustellungen</translation>
    </message>
</context>
<context>
    <name>hcm::DigestStore</name>
    <message>
        <source>reading an alert digest</source>
        <translation>Lesen einer Zusammenfassung der Warnungen</translation>
    </message>
    <message>
        <source>scheduling an alert digest</source>
        <translation>Planen einer Zusammenfassung der Warnungen</translation>
    </message>
    <message>
        <source>collecting an alert for the digest</source>
        <translation>Sammeln einer Warnung für die Zusammenfassung</translation>
    </message>
    <message>
        <source>The alert digest could not be scheduled: every delivery time tried had started already.</source>
        <translation>Die Zusammenfassung der Warnungen konnte nicht geplant werden: jeder versuchte Zustellzeitpunkt hatte schon begonnen.</translation>
    </message>
    <message>
        <source>The alert digest due at %1 vanished.</source>
        <translation>Die für %1 fällige Zusammenfassung der Warnungen ist verschwunden.</translation>
    </message>
    <message>
        <source>starting an alert digest</source>
        <translation>Starten einer Zusammenfassung der Warnungen</translation>
    </message>
    <message>
        <source>reading the waiting alert digests</source>
        <translation>Lesen der wartenden Zusammenfassungen</translation>
    </message>
    <message>
        <source>taking over waiting alerts</source>
        <translation>Übernehmen wartender Warnungen</translation>
    </message>
    <message>
        <source>reading the alerts of a digest</source>
        <translation>Lesen der Warnungen einer Zusammenfassung</translation>
    </message>
    <message>
        <source>marking the alerts of a digest delivered</source>
        <translation>Markieren der Warnungen einer Zusammenfassung als zugestellt</translation>
    </message>
    <message>
        <source>marking a digest delivered</source>
        <translation>Markieren einer Zusammenfassung als zugestellt</translation>
    </message>
    <message>
        <source>pruning delivered digests</source>
        <translation>Aufräumen zugestellter Zusammenfassungen</translation>
    </message>
    <message>
        <source>marking a digest failed</source>
        <translation>Markieren einer Zusammenfassung als fehlgeschlagen</translation>
    </message>
    <message>
        <source>reading the alerts waiting for a digest</source>
        <translation>Lesen der Warnungen, die auf eine Zusammenfassung warten</translation>
    </message>
    <message>
        <source>reading the alert digests</source>
        <translation>Lesen der Zusammenfassungen der Warnungen</translation>
    </message>
    <message>
        <source>reading the notification settings</source>
        <translation>Lesen der Benachrichtigungseinstellungen</translation>
    </message>
    <message>
        <source>Digests were switched off meanwhile: the alerts go out one by one.</source>
        <translation>Zusammenfassungen wurden inzwischen abgeschaltet: Die Warnungen werden einzeln versendet.</translation>
    </message>
</context>
<context>
    <name>hcm::EmailSendHandler</name>
    <message>
        <source>Every recipient already received it.</source>
        <translation>Alle Empfänger haben sie bereits erhalten.</translation>
    </message>
    <message>
        <source>The server did not accept this recipient.</source>
        <translation>Der Server hat diesen Empfänger nicht angenommen.</translation>
    </message>
</context>
<context>
    <name>hcm::HttpExchange</name>
    <message>
        <source>The extra trusted CA file %1 holds no PEM certificate.</source>
        <translation>Die zusätzliche vertrauenswürdige CA-Datei %1 enthält kein PEM-Zertifikat.</translation>
    </message>
    <message>
        <source>%1 did not answer within %2 s.</source>
        <translation>%1 hat nicht innerhalb von %2 s geantwortet.</translation>
    </message>
    <message>
        <source>The request to %1 was cancelled.</source>
        <translation>Die Anfrage an %1 wurde abgebrochen.</translation>
    </message>
    <message>
        <source>The certificate of %1 is not trusted (%2). Install the issuing CA on this machine, or name its file as the extra trusted CA in the notification settings.</source>
        <translation>Dem Zertifikat von %1 wird nicht vertraut (%2). Installieren Sie die ausstellende CA auf diesem Rechner oder geben Sie ihre Datei in den Benachrichtigungseinstellungen als zusätzliche vertrauenswürdige CA an.</translation>
    </message>
    <message>
        <source>The host name %1 could not be resolved.</source>
        <translation>Der Hostname %1 konnte nicht aufgelöst werden.</translation>
    </message>
    <message>
        <source>%1 refused the connection.</source>
        <translation>%1 hat die Verbindung abgelehnt.</translation>
    </message>
    <message>
        <source>The request to %1 failed: %2</source>
        <translation>Die Anfrage an %1 ist fehlgeschlagen: %2</translation>
    </message>
</context>
<context>
    <name>hcm::IdempotencyKeys</name>
    <message>
        <source>storing the idempotency key</source>
        <translation>Speichern des Idempotenzschlüssels</translation>
    </message>
    <message>
        <source>reading the idempotency key</source>
        <translation>Lesen des Idempotenzschlüssels</translation>
    </message>
    <message>
        <source>replacing an expired idempotency key</source>
        <translation>Ersetzen eines abgelaufenen Idempotenzschlüssels</translation>
    </message>
    <message>
        <source>deleting expired idempotency keys</source>
        <translation>Löschen abgelaufener Idempotenzschlüssel</translation>
    </message>
</context>
<context>
    <name>hcm::Identity</name>
    <message>
        <source>finding the role of this login</source>
        <translation>Ermitteln der Rolle dieser Anmeldung</translation>
    </message>
    <message>
        <source>The database login &quot;%1&quot; is in none of the groups hcm_admin, hcm_operator and hcm_viewer, so it may do nothing here. A system administrator runs, for example, GRANT hcm_viewer TO %1; (see docs/postgresql.md, &quot;Adding a person&quot;).</source>
        <translation>Die Datenbankanmeldung „%1“ gehört keiner der Gruppen hcm_admin, hcm_operator und hcm_viewer an und darf hier daher nichts tun. Ein Systemadministrator führt zum Beispiel GRANT hcm_viewer TO %1; aus (siehe docs/postgresql.md, „Adding a person“).</translation>
    </message>
    <message>
        <source>Signed in as %1 — %2</source>
        <translation>Angemeldet als %1 — %2</translation>
    </message>
    <message>
        <source>The user &quot;%1&quot; has no account in %2. A system administrator of this database runs: hcmctl --db %2 users add %1 --role viewer (or operator, systemadmin).</source>
        <translation>Der Benutzer „%1“ hat kein Konto in %2. Ein Systemadministrator dieser Datenbank führt aus: hcmctl --db %2 users add %1 --role viewer (oder operator, systemadmin).</translation>
    </message>
    <message>
        <source>The account &quot;%1&quot; is disabled. A system administrator of this database can enable it again: hcmctl users enable %1.</source>
        <translation>Das Konto „%1“ ist deaktiviert. Ein Systemadministrator dieser Datenbank kann es wieder aktivieren: hcmctl users enable %1.</translation>
    </message>
</context>
<context>
    <name>hcm::Job</name>
    <message>
        <source>Queued</source>
        <translation>Wartend</translation>
    </message>
    <message>
        <source>Processing</source>
        <translation>In Bearbeitung</translation>
    </message>
    <message>
        <source>Completed</source>
        <translation>Abgeschlossen</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>Fehlgeschlagen</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>Abgebrochen</translation>
    </message>
    <message>
        <source>Low</source>
        <translation>Niedrig</translation>
    </message>
    <message>
        <source>Normal</source>
        <translation>Normal</translation>
    </message>
    <message>
        <source>High</source>
        <translation>Hoch</translation>
    </message>
    <message>
        <source>Critical</source>
        <translation>Kritisch</translation>
    </message>
</context>
<context>
    <name>hcm::JobErrors</name>
    <message>
        <source>Cancelled before it started.</source>
        <translation>Vor dem Start abgebrochen.</translation>
    </message>
    <message>
        <source>The worker stopped before the job started.</source>
        <translation>Der Worker wurde angehalten, bevor der Job startete.</translation>
    </message>
    <message>
        <source>This worker has no handler for job type &quot;%1&quot;.</source>
        <translation>Dieser Worker hat keinen Handler für den Jobtyp „%1“.</translation>
    </message>
    <message>
        <source>The handler failed unexpectedly: %1</source>
        <translation>Der Handler ist unerwartet fehlgeschlagen: %1</translation>
    </message>
    <message>
        <source>The handler failed unexpectedly.</source>
        <translation>Der Handler ist unerwartet fehlgeschlagen.</translation>
    </message>
    <message>
        <source>Cancelled while running: %1</source>
        <translation>Während der Ausführung abgebrochen: %1</translation>
    </message>
    <message>
        <source>Timed out after %1 s, the limit for %2 jobs: %3</source>
        <translation>Zeitüberschreitung nach %1 s, dem Limit für %2-Jobs: %3</translation>
    </message>
    <message>
        <source>Stopped: this worker lost the job&apos;s lease: %1</source>
        <translation>Angehalten: dieser Worker hat das Lease des Jobs verloren: %1</translation>
    </message>
    <message>
        <source>Interrupted by a worker shutdown: %1</source>
        <translation>Durch das Herunterfahren eines Workers unterbrochen: %1</translation>
    </message>
    <message>
        <source>The worker stopped while the job was running.</source>
        <translation>Der Worker wurde angehalten, während der Job lief.</translation>
    </message>
    <message>
        <source>The worker running this job stopped responding (its lease expired).</source>
        <translation>Der Worker, der diesen Job ausführte, reagiert nicht mehr (sein Lease ist abgelaufen).</translation>
    </message>
    <message>
        <source>The worker running this job was restarted before it finished.</source>
        <translation>Der Worker, der diesen Job ausführte, wurde neu gestartet, bevor der Job fertig war.</translation>
    </message>
    <message>
        <source>The worker that had claimed this job stopped responding before the job started; it goes back to the queue without spending a retry.</source>
        <translation>Der Worker, der diesen Job übernommen hatte, reagierte nicht mehr, bevor der Job startete; der Job geht zurück in die Warteschlange, ohne eine Wiederholung zu verbrauchen.</translation>
    </message>
    <message>
        <source>The worker that had claimed this job was restarted before the job started; it goes back to the queue without spending a retry.</source>
        <translation>Der Worker, der diesen Job übernommen hatte, wurde neu gestartet, bevor der Job startete; der Job geht zurück in die Warteschlange, ohne eine Wiederholung zu verbrauchen.</translation>
    </message>
    <message>
        <source>Cancelled by %1 before it ran.</source>
        <translation>Von %1 vor dem Start abgebrochen.</translation>
    </message>
    <message>
        <source>Unknown cache flush action &quot;%1&quot; (expected full or expired).</source>
        <translation>Unbekannte Cache-Leerungsaktion „%1“ (erwartet: full oder expired).</translation>
    </message>
    <message>
        <source>max_age_seconds must not be negative.</source>
        <translation>max_age_seconds darf nicht negativ sein.</translation>
    </message>
    <message>
        <source>Refusing to flush %1: the cache folder is the root of a file system.</source>
        <translation>%1 wird nicht geleert: der Cache-Ordner ist die Wurzel eines Dateisystems.</translation>
    </message>
    <message>
        <source>Stopped after removing %1 of %2 cache files.</source>
        <translation>Angehalten, nachdem %1 von %2 Cache-Dateien entfernt wurden.</translation>
    </message>
    <message>
        <source>Stopped after removing %1 cache files.</source>
        <translation>Angehalten, nachdem %1 Cache-Dateien entfernt wurden.</translation>
    </message>
    <message>
        <source>Cannot delete the cache file %1: %2.</source>
        <translation>Die Cache-Datei %1 kann nicht gelöscht werden: %2.</translation>
    </message>
    <message>
        <source>Cannot delete the cache folder %1: check its permissions.</source>
        <translation>Der Cache-Ordner %1 kann nicht gelöscht werden: prüfen Sie seine Berechtigungen.</translation>
    </message>
    <message>
        <source>Unknown cleanup type &quot;%1&quot; (expected all, jobs, attempts, cache or audit).</source>
        <translation>Unbekannter Bereinigungstyp „%1“ (erwartet: all, jobs, attempts, cache oder audit).</translation>
    </message>
    <message>
        <source>older_than_days must be a whole number of days, 0 or more.</source>
        <translation>older_than_days muss eine ganze Zahl von Tagen sein, 0 oder mehr.</translation>
    </message>
    <message>
        <source>Stopped after deleting %1 rows.</source>
        <translation>Angehalten, nachdem %1 Zeilen gelöscht wurden.</translation>
    </message>
    <message>
        <source>Unknown optimize mode &quot;%1&quot; (expected vacuum, incremental or analyze).</source>
        <translation>Unbekannter Optimierungsmodus „%1“ (erwartet: vacuum, incremental oder analyze).</translation>
    </message>
    <message>
        <source>reindex must be true or false.</source>
        <translation>reindex muss true oder false sein.</translation>
    </message>
    <message>
        <source>bloat_threshold must be a number from 0 to 1 (0.3 means 30 %).</source>
        <translation>bloat_threshold muss eine Zahl von 0 bis 1 sein (0.3 bedeutet 30 %).</translation>
    </message>
    <message>
        <source>lock_timeout_ms must be a whole number of milliseconds from 1 to 3600000.</source>
        <translation>lock_timeout_ms muss eine ganze Zahl von Millisekunden von 1 bis 3600000 sein.</translation>
    </message>
    <message>
        <source>min_index_bytes must be a whole number of bytes, 0 or more.</source>
        <translation>min_index_bytes muss eine ganze Zahl von Bytes sein, 0 oder mehr.</translation>
    </message>
    <message>
        <source>Stopped after %1 of %2 tables.</source>
        <translation>Angehalten nach %1 von %2 Tabellen.</translation>
    </message>
    <message>
        <source>Stopped after %1 of %2 optimization steps.</source>
        <translation>Angehalten nach %1 von %2 Optimierungsschritten.</translation>
    </message>
    <message>
        <source>No table could be optimized: every table the role %1 may vacuum was locked by another session for longer than %2 ms.</source>
        <translation>Keine Tabelle konnte optimiert werden: jede Tabelle, die die Rolle %1 bereinigen darf, war länger als %2 ms von einer anderen Sitzung gesperrt.</translation>
    </message>
    <message>
        <source>No table could be optimized: the role %1 owns none of the %2 tables (they belong to %3). Run db_optimize on a worker connected as the owner role, as docs/postgresql.md describes.</source>
        <translation>Keine Tabelle konnte optimiert werden: die Rolle %1 besitzt keine der %2 Tabellen (sie gehören %3). Führen Sie db_optimize auf einem Worker aus, der als Eigentümerrolle verbunden ist, wie in docs/postgresql.md beschrieben.</translation>
    </message>
    <message>
        <source>keep and min_size_bytes must not be negative.</source>
        <translation>keep und min_size_bytes dürfen nicht negativ sein.</translation>
    </message>
    <message>
        <source>Cannot open the log folder %1: %2.</source>
        <translation>Der Log-Ordner %1 kann nicht geöffnet werden: %2.</translation>
    </message>
    <message>
        <source>Cannot lock the log folder %1: %2.</source>
        <translation>Der Log-Ordner %1 kann nicht gesperrt werden: %2.</translation>
    </message>
    <message>
        <source>Stopped while another rotation of %1 was running.</source>
        <translation>Angehalten, weil gerade eine andere Rotation von %1 lief.</translation>
    </message>
    <message>
        <source>Stopped after rotating %1 of %2 log files.</source>
        <translation>Angehalten, nachdem %1 von %2 Logdateien rotiert wurden.</translation>
    </message>
    <message>
        <source>Cannot open the log file %1: %2.</source>
        <translation>Die Logdatei %1 kann nicht geöffnet werden: %2.</translation>
    </message>
    <message>
        <source>Cannot read the log file %1: %2.</source>
        <translation>Die Logdatei %1 kann nicht gelesen werden: %2.</translation>
    </message>
    <message>
        <source>Cannot truncate the log file %1 after archiving it: %2.</source>
        <translation>Die Logdatei %1 kann nach dem Archivieren nicht gekürzt werden: %2.</translation>
    </message>
    <message>
        <source>Cannot delete the old log archive %1: %2.</source>
        <translation>Das alte Log-Archiv %1 kann nicht gelöscht werden: %2.</translation>
    </message>
    <message>
        <source>Email delivery is not configured: set up SMTP in the notification settings first.</source>
        <translation>Der E-Mail-Versand ist nicht eingerichtet: richten Sie zuerst SMTP in den Benachrichtigungseinstellungen ein.</translation>
    </message>
    <message numerus="yes">
        <source>%n delivery(s) failed: %1</source>
        <translation>
            <numerusform>%n Zustellung fehlgeschlagen: %1</numerusform>
            <numerusform>%n Zustellungen fehlgeschlagen: %1</numerusform>
        </translation>
    </message>
    <message>
        <source>Stopped before every channel was tried.</source>
        <translation>Angehalten, bevor alle Kanäle versucht wurden.</translation>
    </message>
    <message>
        <source>Stopped after %1 ms of %2 ms.</source>
        <translation>Angehalten nach %1 ms von %2 ms.</translation>
    </message>
</context>
<context>
    <name>hcm::JobImport</name>
    <message>
        <source>not valid JSON (%1 at character %2)</source>
        <translation>kein gültiges JSON (%1 bei Zeichen %2)</translation>
    </message>
    <message>
        <source>expected one job, a JSON object, per line (jq -c &apos;.[]&apos; turns the array that &quot;hcmctl --json jobs list&quot; prints into lines)</source>
        <translation>ein Job pro Zeile als JSON-Objekt erwartet (jq -c &apos;.[]&apos; macht aus dem Array, das „hcmctl --json jobs list“ ausgibt, Zeilen)</translation>
    </message>
    <message>
        <source>unknown field %1</source>
        <translation>unbekanntes Feld %1</translation>
    </message>
    <message>
        <source>%1 must be a whole number from %2 to %3</source>
        <translation>%1 muss eine ganze Zahl von %2 bis %3 sein</translation>
    </message>
    <message>
        <source>%1 must be an ISO 8601 time such as &quot;2026-01-07T10:15:32.123Z&quot; or null</source>
        <translation>%1 muss ein ISO-8601-Zeitpunkt wie &quot;2026-01-07T10:15:32.123Z&quot; oder null sein</translation>
    </message>
    <message>
        <source>%1 must be text or null</source>
        <translation>%1 muss Text oder null sein</translation>
    </message>
    <message>
        <source>id must be a job id such as &quot;job_12&quot; or 12</source>
        <translation>id muss eine Job-ID wie &quot;job_12&quot; oder 12 sein</translation>
    </message>
    <message>
        <source>status is missing (queued, completed, failed or cancelled)</source>
        <translation>status fehlt (queued, completed, failed oder cancelled)</translation>
    </message>
    <message>
        <source>unknown status %1</source>
        <translation>unbekannter Status %1</translation>
    </message>
    <message>
        <source>status &quot;processing&quot; cannot be imported: no worker here runs the job; import it as queued (to run again) or as failed</source>
        <translation>Status „processing“ kann nicht importiert werden: kein Worker hier führt den Job aus; importieren Sie ihn als queued (zur erneuten Ausführung) oder als failed</translation>
    </message>
    <message>
        <source>job_type is missing</source>
        <translation>job_type fehlt</translation>
    </message>
    <message>
        <source>job_type is longer than 200 characters</source>
        <translation>job_type ist länger als 200 Zeichen</translation>
    </message>
    <message>
        <source>unknown job type %1 for a queued job (finished jobs may keep any type; &quot;hcmctl jobs types&quot; lists the types that run)</source>
        <translation>unbekannter Jobtyp %1 für einen wartenden Job (beendete Jobs dürfen jeden Typ behalten; „hcmctl jobs types“ listet die Typen auf, die ausgeführt werden)</translation>
    </message>
    <message>
        <source>priority must be low, normal, high or critical</source>
        <translation>priority muss low, normal, high oder critical sein</translation>
    </message>
    <message>
        <source>payload must be a JSON object</source>
        <translation>payload muss ein JSON-Objekt sein</translation>
    </message>
    <message>
        <source>the payload is larger than %1 KiB</source>
        <translation>die Payload ist größer als %1 KiB</translation>
    </message>
    <message>
        <source>the payload does not suit %1: %2</source>
        <translation>die Payload passt nicht zu %1: %2</translation>
    </message>
    <message>
        <source>result must be a JSON object or null</source>
        <translation>result muss ein JSON-Objekt oder null sein</translation>
    </message>
    <message>
        <source>completed_at is missing: a %1 job needs the time it finished</source>
        <translation>completed_at fehlt: ein Job mit Status %1 braucht den Zeitpunkt, zu dem er beendet wurde</translation>
    </message>
    <message>
        <source>created_by must be text</source>
        <translation>created_by muss Text sein</translation>
    </message>
    <message>
        <source>cancel_requested must be true or false</source>
        <translation>cancel_requested muss true oder false sein</translation>
    </message>
    <message>
        <source>progress must be a number from 0 to 1</source>
        <translation>progress muss eine Zahl von 0 bis 1 sein</translation>
    </message>
    <message>
        <source>looking for jobs that exist already</source>
        <translation>Suchen bereits vorhandener Jobs</translation>
    </message>
    <message>
        <source>line %1: %2 exists already in the database</source>
        <translation>Zeile %1: %2 existiert bereits in der Datenbank</translation>
    </message>
    <message>
        <source>importing jobs</source>
        <translation>Importieren von Jobs</translation>
    </message>
    <message>
        <source>line %1: %2</source>
        <translation>Zeile %1: %2</translation>
    </message>
    <message>
        <source>longer than %1 MiB; the rest of the input was not read</source>
        <translation>länger als %1 MiB; der Rest der Eingabe wurde nicht gelesen</translation>
    </message>
    <message>
        <source>line %1: reading stopped after %2 lines with errors; the rest of the input was not read</source>
        <translation>Zeile %1: Lesen nach %2 fehlerhaften Zeilen abgebrochen; der Rest der Eingabe wurde nicht gelesen</translation>
    </message>
    <message>
        <source>%1 is on line %2 already</source>
        <translation>%1 steht bereits in Zeile %2</translation>
    </message>
    <message>
        <source>moving the job id sequence past the imported ids</source>
        <translation>Verschieben der Job-ID-Sequenz hinter die importierten IDs</translation>
    </message>
    <message>
        <source>schedule_id must be a positive whole number or null</source>
        <translation>schedule_id muss eine positive ganze Zahl oder null sein</translation>
    </message>
    <message>
        <source>announcing the imported jobs</source>
        <translation>Melden der importierten Jobs</translation>
    </message>
</context>
<context>
    <name>hcm::JobRetention</name>
    <message>
        <source>counting old jobs</source>
        <translation>Zählen alter Jobs</translation>
    </message>
    <message>
        <source>A batch of old jobs to delete must hold at least one job, not %1.</source>
        <translation>Ein Stapel zu löschender alter Jobs muss mindestens einen Job enthalten, nicht %1.</translation>
    </message>
    <message>
        <source>finding old jobs</source>
        <translation>Suchen alter Jobs</translation>
    </message>
    <message>
        <source>deleting the attempts of old jobs</source>
        <translation>Löschen der Versuche alter Jobs</translation>
    </message>
    <message>
        <source>deleting old jobs</source>
        <translation>Löschen alter Jobs</translation>
    </message>
    <message>
        <source>deleting old job attempts</source>
        <translation>Löschen alter Job-Versuche</translation>
    </message>
</context>
<context>
    <name>hcm::JobRules</name>
    <message>
        <source>cancellation was already requested; the worker is stopping the job</source>
        <translation>der Abbruch wurde bereits angefordert; der Worker hält den Job an</translation>
    </message>
    <message>
        <source>the job is already %1; finished jobs cannot be cancelled</source>
        <translation>der Job ist bereits %1; beendete Jobs können nicht abgebrochen werden</translation>
    </message>
    <message>
        <source>the job is running now</source>
        <translation>der Job läuft gerade</translation>
    </message>
    <message>
        <source>the job completed; duplicate it to run it again</source>
        <translation>der Job ist abgeschlossen; duplizieren Sie ihn, um ihn erneut auszuführen</translation>
    </message>
    <message>
        <source>only finished jobs can be deleted; this one is %1</source>
        <translation>nur beendete Jobs können gelöscht werden; dieser ist %1</translation>
    </message>
    <message numerus="yes">
        <source>%n in all</source>
        <extracomment>attempts of a job whose count exceeds its retry budget (after a manual retry)</extracomment>
        <translation>
            <numerusform>%n insgesamt</numerusform>
            <numerusform>%n insgesamt</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <extracomment>attempts started &quot;of&quot; the most possible (1 + retries)</extracomment>
        <translation>%1 von %2</translation>
    </message>
    <message>
        <source>no retries left</source>
        <extracomment>the end mark of the retry timeline of a failed job</extracomment>
        <translation>keine Wiederholungen übrig</translation>
    </message>
    <message>
        <source>not retryable</source>
        <translation>nicht wiederholbar</translation>
    </message>
    <message>
        <source>Completed:</source>
        <translation>Abgeschlossen:</translation>
    </message>
    <message>
        <source>Failed:</source>
        <translation>Fehlgeschlagen:</translation>
    </message>
    <message>
        <source>Cancelled:</source>
        <translation>Abgebrochen:</translation>
    </message>
    <message>
        <source>Finished:</source>
        <translation>Beendet:</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>Fehler</translation>
    </message>
    <message>
        <source>Reason</source>
        <extracomment>heading of the message that says who cancelled a job and when</extracomment>
        <translation>Grund</translation>
    </message>
    <message>
        <source>Last error</source>
        <translation>Letzter Fehler</translation>
    </message>
    <message>
        <source>due now</source>
        <translation>jetzt fällig</translation>
    </message>
    <message>
        <source>in under a minute</source>
        <translation>in weniger als einer Minute</translation>
    </message>
    <message numerus="yes">
        <source>in %n min</source>
        <translation>
            <numerusform>in %n min</numerusform>
            <numerusform>in %n min</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>in %n h</source>
        <translation>
            <numerusform>in %n h</numerusform>
            <numerusform>in %n h</numerusform>
        </translation>
    </message>
    <message>
        <source>in %1 h %2 min</source>
        <extracomment>%1 hours, %2 minutes</extracomment>
        <translation>in %1 h %2 min</translation>
    </message>
    <message>
        <source>on %1</source>
        <extracomment>a time a day or more away; %1 is its date and time</extracomment>
        <translation>am %1</translation>
    </message>
</context>
<context>
    <name>hcm::JobService</name>
    <message>
        <source>Unknown job type &quot;%1&quot;. Known types: %2.</source>
        <translation>Unbekannter Jobtyp „%1“. Bekannte Typen: %2.</translation>
    </message>
    <message>
        <source>The payload is %1 KiB; the limit is %2 KiB.</source>
        <translation>Die Payload ist %1 KiB groß; das Limit liegt bei %2 KiB.</translation>
    </message>
    <message>
        <source>Invalid payload for %1: %2.</source>
        <translation>Ungültige Payload für %1: %2.</translation>
    </message>
    <message>
        <source>max_retries must be from 0 to %1; %2 was given.</source>
        <translation>max_retries muss zwischen 0 und %1 liegen; angegeben wurde %2.</translation>
    </message>
    <message>
        <source>The start time is before 1970.</source>
        <translation>Die Startzeit liegt vor 1970.</translation>
    </message>
    <message>
        <source>The payload must be a JSON object ({…}), not a single value.</source>
        <translation>Die Payload muss ein JSON-Objekt ({…}) sein, kein einzelner Wert.</translation>
    </message>
    <message>
        <source>The payload is not valid JSON: %1 at line %2, column %3.</source>
        <translation>Die Payload ist kein gültiges JSON: %1 in Zeile %2, Spalte %3.</translation>
    </message>
    <message>
        <source>The payload must be a JSON object ({…}), not an array.</source>
        <translation>Die Payload muss ein JSON-Objekt ({…}) sein, kein Array.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a date and time; use ISO 8601, for example 2026-01-07T10:15:00Z.</source>
        <translation>„%1“ ist kein Datum mit Uhrzeit; verwenden Sie ISO 8601, zum Beispiel 2026-01-07T10:15:00Z.</translation>
    </message>
    <message>
        <source>Unknown priority &quot;%1&quot;: use low, normal, high or critical.</source>
        <translation>Unbekannte Priorität „%1“: verwenden Sie low, normal, high oder critical.</translation>
    </message>
    <message>
        <source>max_retries must be a whole number from 0 to %1; &quot;%2&quot; was given.</source>
        <translation>max_retries muss eine ganze Zahl von 0 bis %1 sein; angegeben wurde „%2“.</translation>
    </message>
    <message>
        <source>Job %1 of %2: %3</source>
        <translation>Job %1 von %2: %3</translation>
    </message>
    <message>
        <source>The start time %1 is more than %2 years ahead; the latest allowed now is %3.</source>
        <translation>Die Startzeit %1 liegt mehr als %2 Jahre in der Zukunft; spätestens erlaubt ist jetzt %3.</translation>
    </message>
    <message numerus="yes">
        <source>%1 (after %n job(s) had been changed)</source>
        <translation>
            <numerusform>%1 (nachdem %n Job geändert worden war)</numerusform>
            <numerusform>%1 (nachdem %n Jobs geändert worden waren)</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>hcm::JobStatsStore</name>
    <message>
        <source>reading throughput</source>
        <translation>Lesen des Durchsatzes</translation>
    </message>
    <message>
        <source>folding the job counts</source>
        <translation>Zusammenfassen der Job-Zähler</translation>
    </message>
</context>
<context>
    <name>hcm::JobStore</name>
    <message>
        <source>adding a job</source>
        <translation>Hinzufügen eines Jobs</translation>
    </message>
    <message>
        <source>claiming jobs</source>
        <translation>Übernehmen von Jobs</translation>
    </message>
    <message>
        <source>saving the outcome of %1</source>
        <translation>Speichern des Ergebnisses von %1</translation>
    </message>
    <message>
        <source>recording attempt %1 of %2</source>
        <translation>Erfassen von Versuch %1 von %2</translation>
    </message>
    <message>
        <source>returning unstarted jobs to the queue</source>
        <translation>Zurückgeben nicht gestarteter Jobs an die Warteschlange</translation>
    </message>
    <message>
        <source>extending job leases</source>
        <translation>Verlängern der Job-Leases</translation>
    </message>
    <message>
        <source>recording the worker heartbeat</source>
        <translation>Erfassen des Worker-Heartbeats</translation>
    </message>
    <message>
        <source>reading cancellation requests</source>
        <translation>Lesen der Abbruchanforderungen</translation>
    </message>
    <message>
        <source>saving job progress</source>
        <translation>Speichern des Job-Fortschritts</translation>
    </message>
    <message>
        <source>rescuing jobs of lost workers</source>
        <translation>Retten der Jobs verlorener Worker</translation>
    </message>
    <message>
        <source>recording a lost attempt</source>
        <translation>Erfassen eines verlorenen Versuchs</translation>
    </message>
    <message>
        <source>registering the worker</source>
        <translation>Registrieren des Workers</translation>
    </message>
    <message>
        <source>marking the worker stopped</source>
        <translation>Markieren des Workers als gestoppt</translation>
    </message>
    <message>
        <source>listing workers</source>
        <translation>Auflisten der Worker</translation>
    </message>
    <message>
        <source>cancelling %1</source>
        <translation>Abbrechen von %1</translation>
    </message>
    <message>
        <source>retrying %1</source>
        <translation>Wiederholen von %1</translation>
    </message>
    <message>
        <source>deleting %1</source>
        <translation>Löschen von %1</translation>
    </message>
    <message>
        <source>reading %1</source>
        <translation>Lesen von %1</translation>
    </message>
    <message>
        <source>%1 does not exist</source>
        <translation>%1 existiert nicht</translation>
    </message>
    <message>
        <source>reading the attempts of %1</source>
        <translation>Lesen der Versuche von %1</translation>
    </message>
    <message>
        <source>listing jobs</source>
        <translation>Auflisten der Jobs</translation>
    </message>
    <message>
        <source>counting jobs</source>
        <translation>Zählen der Jobs</translation>
    </message>
    <message>
        <source>counting jobs by status</source>
        <translation>Zählen der Jobs nach Status</translation>
    </message>
    <message>
        <source>announcing a change</source>
        <translation>Bekanntgeben einer Änderung</translation>
    </message>
    <message>
        <source>saving %1 job results</source>
        <translation>Speichern von %1 Job-Ergebnissen</translation>
    </message>
    <message>
        <source>recording %1 attempts</source>
        <translation>Erfassen von %1 Versuchen</translation>
    </message>
    <message>
        <source>reading the jobs of %1</source>
        <translation>Lesen der Jobs von %1</translation>
    </message>
    <message>
        <source>the job changed state meanwhile; try again</source>
        <translation>der Job hat inzwischen seinen Status geändert; versuchen Sie es erneut</translation>
    </message>
    <message>
        <source>listing the jobs of worker %1</source>
        <translation>Auflisten der Jobs von Worker %1</translation>
    </message>
    <message>
        <source>listing the attempts of worker %1</source>
        <translation>Auflisten der Versuche von Worker %1</translation>
    </message>
    <message>
        <source>Claiming jobs changed %1 rows instead of %2; nothing was claimed.</source>
        <translation>Beim Übernehmen von Jobs wurden %1 statt %2 Zeilen geändert; es wurde nichts übernommen.</translation>
    </message>
    <message>
        <source>clearing the start records of finished jobs</source>
        <translation>Löschen der Startaufzeichnungen beendeter Jobs</translation>
    </message>
    <message>
        <source>recording that jobs started</source>
        <translation>Erfassen, dass Jobs gestartet wurden</translation>
    </message>
    <message>
        <source>clearing the start records of rescued jobs</source>
        <translation>Löschen der Startaufzeichnungen geretteter Jobs</translation>
    </message>
    <message>
        <source>clearing the start records of a stopped worker</source>
        <translation>Löschen der Startaufzeichnungen eines gestoppten Workers</translation>
    </message>
    <message>
        <source>The new job&apos;s id was not returned.</source>
        <translation>Die ID des neuen Jobs wurde nicht zurückgegeben.</translation>
    </message>
</context>
<context>
    <name>hcm::JobTableModel</name>
    <message>
        <source>ID</source>
        <translation>ID</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>Typ</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Priority</source>
        <translation>Priorität</translation>
    </message>
    <message>
        <source>Attempts</source>
        <translation>Versuche</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>Erstellt</translation>
    </message>
    <message>
        <source>Started</source>
        <translation>Gestartet</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>Dauer</translation>
    </message>
    <message>
        <source>Worker</source>
        <translation>Worker</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>Fehler</translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <extracomment>attempts started &quot;of&quot; the most possible (1 + retries)</extracomment>
        <translation>%1 von %2</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>Wird abgebrochen…</translation>
    </message>
    <message>
        <source>Processing %1%</source>
        <translation>In Bearbeitung %1%</translation>
    </message>
    <message>
        <source>%1 ms</source>
        <translation>%1 ms</translation>
    </message>
    <message>
        <source>%1 s</source>
        <translation>%1 s</translation>
    </message>
    <message>
        <source>%1 min %2 s</source>
        <translation>%1 min %2 s</translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation>%1 h %2 min</translation>
    </message>
    <message>
        <source>Paused</source>
        <extracomment>a queued job whose type is paused: it waits until the type is resumed</extracomment>
        <translation>Pausiert</translation>
    </message>
    <message>
        <source>Paused: every job type was paused by %1 at %2. Queued jobs wait until it is resumed.</source>
        <translation>Pausiert: alle Jobtypen wurden von %1 am %2 pausiert. Wartende Jobs warten, bis sie fortgesetzt werden.</translation>
    </message>
    <message>
        <source>Paused: %1 was paused by %2 at %3. Its queued jobs wait until it is resumed.</source>
        <translation>Pausiert: %1 wurde von %2 am %3 pausiert. Seine wartenden Jobs warten, bis er fortgesetzt wird.</translation>
    </message>
    <message>
        <source>Retrying %1</source>
        <extracomment>%1 is when: &quot;in 4 min&quot;, &quot;on 03.01.2099 10:00&quot;</extracomment>
        <translation>Neuer Versuch %1</translation>
    </message>
    <message>
        <source>Scheduled %1</source>
        <extracomment>%1 is when: &quot;in 4 min&quot;, &quot;on 03.01.2099 10:00&quot;</extracomment>
        <translation>Geplant %1</translation>
    </message>
</context>
<context>
    <name>hcm::JobTypeCatalog</name>
    <message>
        <source>Clears the application cache: the cache folder and the cache table. &quot;full&quot; removes everything, &quot;expired&quot; only entries past their expiry.</source>
        <translation>Leert den Anwendungs-Cache: den Cache-Ordner und die Cache-Tabelle. „full“ entfernt alles, „expired“ nur abgelaufene Einträge.</translation>
    </message>
    <message>
        <source>Optimizes the database: refreshes planner statistics and reclaims free pages (&quot;vacuum&quot; rebuilds the file, &quot;incremental&quot; only releases free pages, &quot;analyze&quot; only updates statistics).</source>
        <translation>Optimiert die Datenbank: aktualisiert die Planer-Statistiken und gibt freie Seiten frei („vacuum“ baut die Datei neu auf, „incremental“ gibt nur freie Seiten frei, „analyze“ aktualisiert nur die Statistiken).</translation>
    </message>
    <message>
        <source>Rotates the application&apos;s log files: compresses each current log with gzip, keeps the newest archives and deletes older ones.</source>
        <translation>Rotiert die Logdateien der Anwendung: komprimiert jedes aktuelle Log mit gzip, behält die neuesten Archive und löscht ältere.</translation>
    </message>
    <message>
        <source>Sends one email through the configured SMTP server.</source>
        <translation>Sendet eine E-Mail über den konfigurierten SMTP-Server.</translation>
    </message>
    <message>
        <source>payload field &quot;to&quot; is required: an email address or a list of them</source>
        <translation>Payload-Feld „to“ ist erforderlich: eine E-Mail-Adresse oder eine Liste davon</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not an email address</source>
        <translation>„%1“ ist keine E-Mail-Adresse</translation>
    </message>
    <message>
        <source>payload field &quot;subject&quot; is required and must be text</source>
        <translation>Payload-Feld „subject“ ist erforderlich und muss Text sein</translation>
    </message>
    <message>
        <source>payload field &quot;body&quot; must be text</source>
        <translation>Payload-Feld „body“ muss Text sein</translation>
    </message>
    <message>
        <source>Deletes old data: finished jobs and their attempts older than the retention period, and expired cache entries.</source>
        <translation>Löscht alte Daten: beendete Jobs und ihre Versuche, die älter als die Aufbewahrungsfrist sind, sowie abgelaufene Cache-Einträge.</translation>
    </message>
    <message>
        <source>Does nothing and succeeds.</source>
        <translation>Tut nichts und ist erfolgreich.</translation>
    </message>
    <message>
        <source>Waits for the given milliseconds, then succeeds.</source>
        <translation>Wartet die angegebenen Millisekunden und ist dann erfolgreich.</translation>
    </message>
    <message>
        <source>Fails with the given message.</source>
        <translation>Schlägt mit der angegebenen Meldung fehl.</translation>
    </message>
    <message>
        <source>payload field &quot;job_id&quot; is required: the job the alert is about</source>
        <translation>Payload-Feld „job_id“ ist erforderlich: der Job, um den es in der Warnung geht</translation>
    </message>
    <message>
        <source>payload field &quot;job_type&quot; is required and must be text</source>
        <translation>Payload-Feld „job_type“ ist erforderlich und muss Text sein</translation>
    </message>
    <message>
        <source>payload field &quot;error&quot; must be text</source>
        <translation>Payload-Feld „error“ muss Text sein</translation>
    </message>
    <message>
        <source>Records the execution in the table test_executions, then waits the given milliseconds.</source>
        <translation>Erfasst die Ausführung in der Tabelle test_executions und wartet dann die angegebenen Millisekunden.</translation>
    </message>
    <message>
        <source>unknown payload field &quot;%1&quot; (allowed: %2)</source>
        <translation>unbekanntes Payload-Feld „%1“ (erlaubt: %2)</translation>
    </message>
    <message>
        <source>payload field &quot;%1&quot; is required (one of: %2)</source>
        <translation>Payload-Feld „%1“ ist erforderlich (eines von: %2)</translation>
    </message>
    <message>
        <source>payload field &quot;%1&quot; must be one of: %2</source>
        <translation>Payload-Feld „%1“ muss eines der folgenden sein: %2</translation>
    </message>
    <message>
        <source>payload field &quot;%1&quot; must be a whole number from %2 to %3</source>
        <translation>Payload-Feld „%1“ muss eine ganze Zahl von %2 bis %3 sein</translation>
    </message>
    <message>
        <source>Delivers an alert about another job (failed, succeeded, retried, worker lost), or a digest of such alerts, to every enabled notification channel. Created by the workers; retried with backoff.</source>
        <translation>Stellt eine Warnung über einen anderen Job (fehlgeschlagen, erfolgreich, wiederholt, Worker verloren) oder eine Zusammenfassung solcher Warnungen an jeden aktivierten Benachrichtigungskanal zu. Von den Workern erstellt; mit Backoff wiederholt.</translation>
    </message>
    <message>
        <source>payload field &quot;%1&quot; must be true or false</source>
        <translation>Payload-Feld „%1“ muss true oder false sein</translation>
    </message>
    <message>
        <source>payload field &quot;%1&quot; must be a number from %2 to %3</source>
        <translation>Payload-Feld „%1“ muss eine Zahl von %2 bis %3 sein</translation>
    </message>
</context>
<context>
    <name>hcm::LogRotateHandler</name>
    <message>
        <source>Cannot write the archive %1: %2.</source>
        <translation>Das Archiv %1 kann nicht geschrieben werden: %2.</translation>
    </message>
    <message>
        <source>cannot read the log: %1</source>
        <translation>das Log kann nicht gelesen werden: %1</translation>
    </message>
    <message>
        <source>zlib error %1</source>
        <translation>zlib-Fehler %1</translation>
    </message>
</context>
<context>
    <name>hcm::LogSink</name>
    <message>
        <source>Cannot write the log file %1: %2.</source>
        <translation>Die Logdatei %1 kann nicht geschrieben werden: %2.</translation>
    </message>
    <message>
        <source>Cannot create the log folder %1: %2</source>
        <translation>Der Log-Ordner %1 kann nicht angelegt werden: %2</translation>
    </message>
</context>
<context>
    <name>hcm::Migrator</name>
    <message>
        <source>creating the migrations table</source>
        <translation>Anlegen der Migrationstabelle</translation>
    </message>
    <message>
        <source>The database %1 was written by a newer version of HCM Admin (schema %2; this program knows up to schema %3). Install the newer version; this one will not touch it.</source>
        <translation>Die Datenbank %1 wurde von einer neueren Version von HCM Admin geschrieben (Schema %2; dieses Programm kennt Schemata bis %3). Installieren Sie die neuere Version; diese hier rührt sie nicht an.</translation>
    </message>
    <message>
        <source>applying migration %1_%2</source>
        <translation>Anwenden der Migration %1_%2</translation>
    </message>
    <message>
        <source>recording migration %1</source>
        <translation>Erfassen der Migration %1</translation>
    </message>
    <message>
        <source>reading the schema version</source>
        <translation>Lesen der Schemaversion</translation>
    </message>
    <message>
        <source>waiting for other programs that migrate the database</source>
        <translation>Warten auf andere Programme, die die Datenbank migrieren</translation>
    </message>
    <message>
        <source>The database %1 needs migration %2_%3, but this role may not change the schema (%4). Start hcmctl or hcm-admin once as the owner role (see docs/postgresql.md), then this program again.</source>
        <translation>Die Datenbank %1 braucht die Migration %2_%3, aber diese Rolle darf das Schema nicht ändern (%4). Starten Sie hcmctl oder hcm-admin einmal mit der Eigentümerrolle (siehe docs/postgresql.md) und danach dieses Programm erneut.</translation>
    </message>
    <message>
        <source>The schema version &quot;%1&quot; in schema_migrations is not a number: this is not a database this program can use.</source>
        <translation>Die Schemaversion „%1“ in schema_migrations ist keine Zahl: diese Datenbank kann dieses Programm nicht verwenden.</translation>
    </message>
</context>
<context>
    <name>hcm::NotificationService</name>
    <message>
        <source>Email is not set up: the SMTP server is missing.</source>
        <translation>E-Mail ist nicht eingerichtet: der SMTP-Server fehlt.</translation>
    </message>
    <message>
        <source>Email is not set up: the from address is missing.</source>
        <translation>E-Mail ist nicht eingerichtet: die Absenderadresse fehlt.</translation>
    </message>
    <message>
        <source>SMS is not set up: the Twilio account SID is missing.</source>
        <translation>SMS ist nicht eingerichtet: die Twilio-Account-SID fehlt.</translation>
    </message>
    <message>
        <source>SMS is not set up: the Twilio auth token is missing.</source>
        <translation>SMS ist nicht eingerichtet: das Twilio-Auth-Token fehlt.</translation>
    </message>
    <message>
        <source>SMS is not set up: the sender number is missing.</source>
        <translation>SMS ist nicht eingerichtet: die Absendernummer fehlt.</translation>
    </message>
    <message>
        <source>Slack is not set up: the webhook URL is missing.</source>
        <translation>Slack ist nicht eingerichtet: die Webhook-URL fehlt.</translation>
    </message>
    <message>
        <source>The server did not accept this recipient.</source>
        <translation>Der Server hat diesen Empfänger nicht angenommen.</translation>
    </message>
    <message>
        <source>No recipient: give one, or set the admin email recipients.</source>
        <translation>Kein Empfänger: geben Sie einen an oder legen Sie die Admin-E-Mail-Empfänger fest.</translation>
    </message>
    <message>
        <source>No recipient: give a phone number, or set the SMS recipients.</source>
        <translation>Kein Empfänger: geben Sie eine Telefonnummer an oder legen Sie die SMS-Empfänger fest.</translation>
    </message>
    <message>
        <source>test messages</source>
        <translation>Testnachrichten</translation>
    </message>
    <message>
        <source>HCM Admin test message</source>
        <translation>HCM-Admin-Testnachricht</translation>
    </message>
    <message>
        <source>This is a test message from HCM Admin, sent by %1 at %2. If you can read it, %3 alerts work.</source>
        <translation>Dies ist eine Testnachricht von HCM Admin, gesendet von %1 um %2. Wenn Sie sie lesen können, funktionieren %3-Warnungen.</translation>
    </message>
</context>
<context>
    <name>hcm::NotificationSettings</name>
    <message>
        <source>Email alerts</source>
        <translation>E-Mail-Warnungen</translation>
    </message>
    <message>
        <source>SMTP server</source>
        <translation>SMTP-Server</translation>
    </message>
    <message>
        <source>SMTP port</source>
        <translation>SMTP-Port</translation>
    </message>
    <message>
        <source>SMTP security</source>
        <translation>SMTP-Sicherheit</translation>
    </message>
    <message>
        <source>SMTP user name</source>
        <translation>SMTP-Benutzername</translation>
    </message>
    <message>
        <source>SMTP password</source>
        <translation>SMTP-Passwort</translation>
    </message>
    <message>
        <source>From address</source>
        <translation>Absenderadresse</translation>
    </message>
    <message>
        <source>From name</source>
        <translation>Absendername</translation>
    </message>
    <message>
        <source>Reply-to address</source>
        <translation>Antwortadresse</translation>
    </message>
    <message>
        <source>Admin email recipients</source>
        <translation>Admin-E-Mail-Empfänger</translation>
    </message>
    <message>
        <source>SMS alerts</source>
        <translation>SMS-Warnungen</translation>
    </message>
    <message>
        <source>SMS provider</source>
        <translation>SMS-Anbieter</translation>
    </message>
    <message>
        <source>Twilio account SID</source>
        <translation>Twilio-Account-SID</translation>
    </message>
    <message>
        <source>Twilio auth token</source>
        <translation>Twilio-Auth-Token</translation>
    </message>
    <message>
        <source>SMS sender number</source>
        <translation>SMS-Absendernummer</translation>
    </message>
    <message>
        <source>SMS recipients</source>
        <translation>SMS-Empfänger</translation>
    </message>
    <message>
        <source>Twilio API address</source>
        <translation>Twilio-API-Adresse</translation>
    </message>
    <message>
        <source>Slack alerts</source>
        <translation>Slack-Warnungen</translation>
    </message>
    <message>
        <source>Slack webhook URL</source>
        <translation>Slack-Webhook-URL</translation>
    </message>
    <message>
        <source>Slack channel</source>
        <translation>Slack-Kanal</translation>
    </message>
    <message>
        <source>Alert when a job fails after its last retry</source>
        <translation>Warnen, wenn ein Job nach seiner letzten Wiederholung fehlschlägt</translation>
    </message>
    <message>
        <source>Alert when a job succeeds</source>
        <translation>Warnen, wenn ein Job erfolgreich ist</translation>
    </message>
    <message>
        <source>Alert when a job is retried</source>
        <translation>Warnen, wenn ein Job wiederholt wird</translation>
    </message>
    <message>
        <source>Alert when a worker is lost</source>
        <translation>Warnen, wenn ein Worker verloren geht</translation>
    </message>
    <message>
        <source>Quiet hours</source>
        <translation>Ruhezeiten</translation>
    </message>
    <message>
        <source>Quiet hours start</source>
        <translation>Beginn der Ruhezeiten</translation>
    </message>
    <message>
        <source>Quiet hours end</source>
        <translation>Ende der Ruhezeiten</translation>
    </message>
    <message>
        <source>Quiet hours time zone</source>
        <translation>Zeitzone der Ruhezeiten</translation>
    </message>
    <message>
        <source>Digest</source>
        <translation>Zusammenfassung</translation>
    </message>
    <message>
        <source>Extra trusted CA certificate file</source>
        <translation>Zusätzliche vertrauenswürdige CA-Zertifikatsdatei</translation>
    </message>
    <message>
        <source>%1 is a secret: it cannot be set from text here.</source>
        <translation>%1 ist ein Geheimnis: es kann hier nicht aus Text gesetzt werden.</translation>
    </message>
    <message>
        <source>%1 must be true or false, not &quot;%2&quot;.</source>
        <translation>%1 muss true oder false sein, nicht „%2“.</translation>
    </message>
    <message>
        <source>Unknown setting &quot;%1&quot;.</source>
        <translation>Unbekannte Einstellung „%1“.</translation>
    </message>
    <message>
        <source>The SMTP port must be from 1 to 65535.</source>
        <translation>Der SMTP-Port muss zwischen 1 und 65535 liegen.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a host name or IP address.</source>
        <translation>„%1“ ist kein Hostname und keine IP-Adresse.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not an email address.</source>
        <translation>„%1“ ist keine E-Mail-Adresse.</translation>
    </message>
    <message>
        <source>The sender name must be on one line.</source>
        <translation>Der Absendername muss in einer Zeile stehen.</translation>
    </message>
    <message>
        <source>A password is needed with the SMTP user name.</source>
        <translation>Zum SMTP-Benutzernamen wird ein Passwort benötigt.</translation>
    </message>
    <message>
        <source>Email alerts need an SMTP server.</source>
        <translation>E-Mail-Warnungen brauchen einen SMTP-Server.</translation>
    </message>
    <message>
        <source>Email alerts need a from address.</source>
        <translation>E-Mail-Warnungen brauchen eine Absenderadresse.</translation>
    </message>
    <message>
        <source>Email alerts need at least one recipient.</source>
        <translation>E-Mail-Warnungen brauchen mindestens einen Empfänger.</translation>
    </message>
    <message>
        <source>The only SMS provider supported is twilio.</source>
        <translation>Der einzige unterstützte SMS-Anbieter ist twilio.</translation>
    </message>
    <message>
        <source>A Twilio account SID is &quot;AC&quot; followed by 32 hexadecimal digits.</source>
        <translation>Eine Twilio-Account-SID besteht aus „AC“ gefolgt von 32 Hexadezimalziffern.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a phone number in E.164 form (+14155550123).</source>
        <translation>„%1“ ist keine Telefonnummer im E.164-Format (+14155550123).</translation>
    </message>
    <message>
        <source>The Twilio API address must be an https:// URL.</source>
        <translation>Die Twilio-API-Adresse muss eine https://-URL sein.</translation>
    </message>
    <message>
        <source>SMS alerts need the Twilio account SID.</source>
        <translation>SMS-Warnungen brauchen die Twilio-Account-SID.</translation>
    </message>
    <message>
        <source>SMS alerts need the Twilio auth token.</source>
        <translation>SMS-Warnungen brauchen das Twilio-Auth-Token.</translation>
    </message>
    <message>
        <source>SMS alerts need a sender number.</source>
        <translation>SMS-Warnungen brauchen eine Absendernummer.</translation>
    </message>
    <message>
        <source>SMS alerts need at least one recipient.</source>
        <translation>SMS-Warnungen brauchen mindestens einen Empfänger.</translation>
    </message>
    <message>
        <source>The Slack webhook URL must be an https:// URL.</source>
        <translation>Die Slack-Webhook-URL muss eine https://-URL sein.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a Slack channel name (#alerts).</source>
        <translation>„%1“ ist kein Slack-Kanalname (#alerts).</translation>
    </message>
    <message>
        <source>Slack alerts need a webhook URL.</source>
        <translation>Slack-Warnungen brauchen eine Webhook-URL.</translation>
    </message>
    <message>
        <source>Quiet hours must end at a different time than they start.</source>
        <translation>Die Ruhezeiten müssen zu einer anderen Uhrzeit enden, als sie beginnen.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a known time zone; use an IANA name such as Europe/Berlin.</source>
        <translation>„%1“ ist keine bekannte Zeitzone; verwenden Sie einen IANA-Namen wie Europe/Berlin.</translation>
    </message>
    <message>
        <source>The CA certificate file must be given as an absolute path.</source>
        <translation>Die CA-Zertifikatsdatei muss als absoluter Pfad angegeben werden.</translation>
    </message>
    <message>
        <source>Without encryption the SMTP user name and password would cross the network readable by anyone on the way. Choose STARTTLS or TLS, or clear the user name and password.</source>
        <translation>Ohne Verschlüsselung würden SMTP-Benutzername und -Passwort für jeden auf dem Weg lesbar durch das Netz gehen. Wählen Sie STARTTLS oder TLS, oder leeren Sie Benutzername und Passwort.</translation>
    </message>
    <message>
        <source>Without encryption the SMTP user name and password would travel to %1 readable by anyone on the way. Choose STARTTLS or TLS, or clear the user name and password (only a relay on this machine, such as localhost, may be used unencrypted).</source>
        <translation>Ohne Verschlüsselung würden SMTP-Benutzername und -Passwort für jeden auf dem Weg lesbar zu %1 gelangen. Wählen Sie STARTTLS oder TLS, oder leeren Sie Benutzername und Passwort (nur ein Relay auf diesem Rechner, etwa localhost, darf unverschlüsselt genutzt werden).</translation>
    </message>
    <message>
        <source>The Twilio API address must be on a host under twilio.com (https://api.twilio.com), not %1: the auth token is sent there. To use another address (a proxy of your own), set HCM_ALLOW_CUSTOM_PROVIDER_URL=1 in the environment of the programs that save the settings and of every worker.</source>
        <translation>Die Twilio-API-Adresse muss auf einem Host unter twilio.com liegen (https://api.twilio.com), nicht %1: das Auth-Token wird dorthin gesendet. Um eine andere Adresse (einen eigenen Proxy) zu verwenden, setzen Sie HCM_ALLOW_CUSTOM_PROVIDER_URL=1 in der Umgebung der Programme, die die Einstellungen speichern, und jedes Workers.</translation>
    </message>
    <message>
        <source>The Slack webhook URL must be a Slack incoming webhook (https://hooks.slack.com/…). To use another address (a proxy of your own), set HCM_ALLOW_CUSTOM_PROVIDER_URL=1 in the environment of the programs that save the settings and of every worker.</source>
        <translation>Die Slack-Webhook-URL muss ein eingehender Slack-Webhook sein (https://hooks.slack.com/…). Um eine andere Adresse (einen eigenen Proxy) zu verwenden, setzen Sie HCM_ALLOW_CUSTOM_PROVIDER_URL=1 in der Umgebung der Programme, die die Einstellungen speichern, und jedes Workers.</translation>
    </message>
    <message>
        <source>The CA certificate file %1 does not exist.</source>
        <translation>Die CA-Zertifikatsdatei %1 existiert nicht.</translation>
    </message>
    <message>
        <source>%1 is not a file: give the PEM file of the CA certificate.</source>
        <translation>%1 ist keine Datei: geben Sie die PEM-Datei des CA-Zertifikats an.</translation>
    </message>
    <message>
        <source>Cannot read the CA certificate file %1: %2.</source>
        <translation>Die CA-Zertifikatsdatei %1 kann nicht gelesen werden: %2.</translation>
    </message>
    <message>
        <source>The CA certificate file %1 is larger than %2 KiB; a file of PEM certificates is a few KiB.</source>
        <translation>Die CA-Zertifikatsdatei %1 ist größer als %2 KiB; eine Datei mit PEM-Zertifikaten ist wenige KiB groß.</translation>
    </message>
    <message>
        <source>The CA certificate file %1 holds no PEM certificate (a block from &quot;%2&quot; to &quot;%3&quot;).</source>
        <translation>Die CA-Zertifikatsdatei %1 enthält kein PEM-Zertifikat (einen Block von „%2“ bis „%3“).</translation>
    </message>
    <message>
        <source>%1 is %2 characters long; the limit is %3.</source>
        <translation>%1 ist %2 Zeichen lang; das Limit liegt bei %3.</translation>
    </message>
    <message>
        <source>%1 has %2 entries; the limit is %3.</source>
        <translation>%1 hat %2 Einträge; das Limit liegt bei %3.</translation>
    </message>
    <message>
        <source>An entry of %1 is %2 characters long; the limit is %3.</source>
        <translation>Ein Eintrag von %1 ist %2 Zeichen lang; das Limit liegt bei %3.</translation>
    </message>
    <message>
        <source>%1 is %2 bytes long; the limit is %3 bytes.</source>
        <translation>%1 ist %2 Bytes lang; das Limit liegt bei %3 Bytes.</translation>
    </message>
    <message>
        <source>Unknown setting.</source>
        <translation>Unbekannte Einstellung.</translation>
    </message>
    <message>
        <source>%1 must be a whole number from %2 to %3, not &quot;%4&quot;.</source>
        <translation>%1 muss eine ganze Zahl von %2 bis %3 sein, nicht „%4“.</translation>
    </message>
    <message>
        <source>%1 must be %2, not &quot;%3&quot;.</source>
        <translation>%1 muss %2 sein, nicht „%3“.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a time of day as HH:mm (%2).</source>
        <translation>„%1“ ist keine Uhrzeit im Format HH:mm (%2).</translation>
    </message>
    <message>
        <source>A secret is written as a string (null or &quot;&quot; clears it).</source>
        <translation>Ein Geheimnis wird als String geschrieben (null oder &quot;&quot; löscht es).</translation>
    </message>
    <message>
        <source>The value has the wrong type.</source>
        <translation>Der Wert hat den falschen Typ.</translation>
    </message>
    <message>
        <source>none, starttls or tls</source>
        <translation>none, starttls oder tls</translation>
    </message>
    <message>
        <source>immediate, hourly or daily</source>
        <translation>immediate, hourly oder daily</translation>
    </message>
</context>
<context>
    <name>hcm::NotificationSettingsStore</name>
    <message>
        <source>reading the notification settings</source>
        <translation>Lesen der Benachrichtigungseinstellungen</translation>
    </message>
    <message>
        <source>The notification settings row is missing; run &quot;hcmctl db migrate&quot;.</source>
        <translation>Die Zeile der Benachrichtigungseinstellungen fehlt; führen Sie „hcmctl db migrate“ aus.</translation>
    </message>
    <message>
        <source>The notification settings were not saved: %1</source>
        <translation>Die Benachrichtigungseinstellungen wurden nicht gespeichert: %1</translation>
    </message>
    <message>
        <source>%1 saved the notification settings (version %2) after you loaded version %3; nothing was saved. Changed since: %4. Reload and apply your changes again.</source>
        <translation>%1 hat die Benachrichtigungseinstellungen gespeichert (Version %2), nachdem Sie Version %3 geladen hatten; nichts wurde gespeichert. Seitdem geändert: %4. Laden Sie neu und übernehmen Sie Ihre Änderungen erneut.</translation>
    </message>
    <message>
        <source>Someone else</source>
        <translation>Jemand anderes</translation>
    </message>
    <message>
        <source>no field (saved unchanged)</source>
        <translation>kein Feld (unverändert gespeichert)</translation>
    </message>
    <message>
        <source>saving the notification settings</source>
        <translation>Speichern der Benachrichtigungseinstellungen</translation>
    </message>
    <message>
        <source>Someone else saved the notification settings at the same moment; nothing was saved. Reload and apply your changes again.</source>
        <translation>Jemand anderes hat die Benachrichtigungseinstellungen im selben Moment gespeichert; nichts wurde gespeichert. Laden Sie neu und übernehmen Sie Ihre Änderungen erneut.</translation>
    </message>
    <message>
        <source>Nothing was saved: the key in use (%1) does not open the stored %2. A secret encrypted with it would leave the notification secrets under two keys, and the programs that hold the other key could no longer send. Run this with the key that encrypted them (HCM_SECRET_KEY_FILE=PATH or HCM_SECRET_KEY), or re-encrypt the stored secrets for the key in use with &quot;hcmctl settings rekey --old-key-file PATH&quot;; if that key is lost, clear the stored secrets first (Clear in the form, or &quot;hcmctl settings clear-secret KEY&quot;) and set them again.</source>
        <translation>Nichts wurde gespeichert: der verwendete Schlüssel (%1) öffnet den gespeicherten Wert von %2 nicht. Ein damit verschlüsseltes Geheimnis würde die Benachrichtigungsgeheimnisse unter zwei Schlüsseln hinterlassen, und die Programme mit dem anderen Schlüssel könnten nicht mehr senden. Führen Sie dies mit dem Schlüssel aus, der sie verschlüsselt hat (HCM_SECRET_KEY_FILE=PATH oder HCM_SECRET_KEY), oder verschlüsseln Sie die gespeicherten Geheimnisse mit „hcmctl settings rekey --old-key-file PATH“ für den verwendeten Schlüssel neu; ist dieser Schlüssel verloren, löschen Sie zuerst die gespeicherten Geheimnisse (Löschen im Formular oder „hcmctl settings clear-secret KEY“) und setzen Sie sie neu.</translation>
    </message>
    <message>
        <source>Nothing was saved: the secret key file %1 does not exist, but the stored %2 was encrypted with a key. Run this with that key (HCM_SECRET_KEY_FILE=PATH or HCM_SECRET_KEY), or re-encrypt the stored secrets with &quot;hcmctl settings rekey --old-key-file PATH&quot;; if that key is lost, clear the stored secrets first (Clear in the form, or &quot;hcmctl settings clear-secret KEY&quot;) and set them again.</source>
        <translation>Nichts wurde gespeichert: die Schlüsseldatei %1 existiert nicht, aber der gespeicherte Wert von %2 wurde mit einem Schlüssel verschlüsselt. Führen Sie dies mit diesem Schlüssel aus (HCM_SECRET_KEY_FILE=PATH oder HCM_SECRET_KEY) oder verschlüsseln Sie die gespeicherten Geheimnisse mit „hcmctl settings rekey --old-key-file PATH“ neu; ist dieser Schlüssel verloren, löschen Sie zuerst die gespeicherten Geheimnisse (Löschen im Formular oder „hcmctl settings clear-secret KEY“) und setzen Sie sie neu.</translation>
    </message>
    <message>
        <source>The old key (%1) and the key in use (%2) are the same key (key id %3): there is nothing to re-encrypt.</source>
        <translation>Der alte Schlüssel (%1) und der verwendete Schlüssel (%2) sind derselbe Schlüssel (Schlüssel-ID %3): es gibt nichts neu zu verschlüsseln.</translation>
    </message>
    <message>
        <source>Nothing was re-encrypted: the stored %1 opens neither with the old key (%2) nor with the key in use (%3). Give the key that encrypted it.</source>
        <translation>Nichts wurde neu verschlüsselt: der gespeicherte Wert von %1 lässt sich weder mit dem alten Schlüssel (%2) noch mit dem verwendeten Schlüssel (%3) öffnen. Geben Sie den Schlüssel an, mit dem er verschlüsselt wurde.</translation>
    </message>
    <message>
        <source>re-encrypting the notification secrets</source>
        <translation>Neuverschlüsseln der Benachrichtigungsgeheimnisse</translation>
    </message>
    <message>
        <source>Someone else saved the notification settings at the same moment; nothing was re-encrypted. Run it again.</source>
        <translation>Jemand anderes hat die Benachrichtigungseinstellungen im selben Moment gespeichert; nichts wurde neu verschlüsselt. Führen Sie es erneut aus.</translation>
    </message>
</context>
<context>
    <name>hcm::PauseService</name>
    <message>
        <source>Unknown job type &quot;%1&quot;. Known types: %2.</source>
        <translation>Unbekannter Jobtyp „%1“. Bekannte Typen: %2.</translation>
    </message>
    <message>
        <source>Every job type is paused (by %1 at %2), %3 included: resume all types.</source>
        <translation>Alle Jobtypen sind pausiert (von %1 am %2), einschließlich %3: setzen Sie alle Typen fort.</translation>
    </message>
</context>
<context>
    <name>hcm::PausedTypeStore</name>
    <message>
        <source>reading the paused job types</source>
        <translation>Lesen der pausierten Jobtypen</translation>
    </message>
    <message>
        <source>pausing job type %1</source>
        <translation>Pausieren des Jobtyps %1</translation>
    </message>
    <message>
        <source>resuming job type %1</source>
        <translation>Fortsetzen des Jobtyps %1</translation>
    </message>
</context>
<context>
    <name>hcm::Permission</name>
    <message>
        <source>read jobs</source>
        <translation>Jobs lesen</translation>
    </message>
    <message>
        <source>create jobs</source>
        <translation>Jobs erstellen</translation>
    </message>
    <message>
        <source>cancel jobs</source>
        <translation>Jobs abbrechen</translation>
    </message>
    <message>
        <source>retry jobs</source>
        <translation>Jobs wiederholen</translation>
    </message>
    <message>
        <source>delete jobs</source>
        <translation>Jobs löschen</translation>
    </message>
    <message>
        <source>pause or resume job types</source>
        <translation>Jobtypen pausieren oder fortsetzen</translation>
    </message>
    <message>
        <source>import jobs</source>
        <translation>Jobs importieren</translation>
    </message>
    <message>
        <source>read workers</source>
        <translation>Worker lesen</translation>
    </message>
    <message>
        <source>drain or remove workers</source>
        <translation>Worker auslaufen lassen oder entfernen</translation>
    </message>
    <message>
        <source>read schedules</source>
        <translation>Zeitpläne lesen</translation>
    </message>
    <message>
        <source>run schedules now</source>
        <translation>Zeitpläne jetzt ausführen</translation>
    </message>
    <message>
        <source>change schedules</source>
        <translation>Zeitpläne ändern</translation>
    </message>
    <message>
        <source>read notification settings</source>
        <translation>Benachrichtigungseinstellungen lesen</translation>
    </message>
    <message>
        <source>change notification settings</source>
        <translation>Benachrichtigungseinstellungen ändern</translation>
    </message>
    <message>
        <source>send test messages</source>
        <translation>Testnachrichten senden</translation>
    </message>
    <message>
        <source>read the audit trail</source>
        <translation>das Audit-Protokoll lesen</translation>
    </message>
    <message>
        <source>manage users</source>
        <translation>Benutzer verwalten</translation>
    </message>
    <message>
        <source>manage API tokens</source>
        <translation>API-Token verwalten</translation>
    </message>
    <message>
        <source>%1 may not %2 (needs the %3 role).</source>
        <translation>%1 darf nicht %2 (benötigt die Rolle %3).</translation>
    </message>
    <message>
        <source>Needs the %1 role</source>
        <translation>Benötigt die Rolle %1</translation>
    </message>
</context>
<context>
    <name>hcm::PostgresMaintenance</name>
    <message>
        <source>configuring the maintenance connection</source>
        <translation>Einrichten der Wartungsverbindung</translation>
    </message>
    <message>
        <source>reading the server version</source>
        <translation>Lesen der Serverversion</translation>
    </message>
    <message>
        <source>reading the current role</source>
        <translation>Lesen der aktuellen Rolle</translation>
    </message>
    <message>
        <source>listing the tables</source>
        <translation>Auflisten der Tabellen</translation>
    </message>
    <message>
        <source>reading the statistics of %1</source>
        <translation>Lesen der Statistiken von %1</translation>
    </message>
    <message>
        <source>The table %1 no longer exists.</source>
        <translation>Die Tabelle %1 existiert nicht mehr.</translation>
    </message>
    <message>
        <source>analyzing %1</source>
        <translation>Analysieren von %1</translation>
    </message>
    <message>
        <source>vacuuming %1</source>
        <translation>Bereinigen (Vacuum) von %1</translation>
    </message>
    <message>
        <source>listing the indexes of %1</source>
        <translation>Auflisten der Indizes von %1</translation>
    </message>
    <message>
        <source>reading the size of %1</source>
        <translation>Lesen der Größe von %1</translation>
    </message>
    <message>
        <source>rebuilding the index %1</source>
        <translation>Neuaufbau des Index %1</translation>
    </message>
</context>
<context>
    <name>hcm::PrivateFiles</name>
    <message>
        <source>Cannot create the folder %1: %2.</source>
        <translation>Der Ordner %1 kann nicht angelegt werden: %2.</translation>
    </message>
    <message>
        <source>%1 is not a folder.</source>
        <translation>%1 ist kein Ordner.</translation>
    </message>
    <message>
        <source>Cannot create %1: %2.</source>
        <translation>%1 kann nicht angelegt werden: %2.</translation>
    </message>
</context>
<context>
    <name>hcm::RateLimiter</name>
    <message>
        <source>reading the rate limit</source>
        <translation>Lesen des Ratenlimits</translation>
    </message>
    <message>
        <source>Too many %1: at most %2 per minute. The next one is allowed at %3 (in %4 s).</source>
        <translation>Zu viele %1: höchstens %2 pro Minute. Die nächste ist um %3 erlaubt (in %4 s).</translation>
    </message>
    <message>
        <source>recording a rate-limited action</source>
        <translation>Erfassen einer ratenbegrenzten Aktion</translation>
    </message>
    <message>
        <source>pruning the rate limit</source>
        <translation>Bereinigen des Ratenlimits</translation>
    </message>
    <message>
        <source>waiting for the rate limit</source>
        <translation>Warten auf das Ratenlimit</translation>
    </message>
</context>
<context>
    <name>hcm::Role</name>
    <message>
        <source>Viewer</source>
        <translation>Betrachter</translation>
    </message>
    <message>
        <source>Operator</source>
        <translation>Operator</translation>
    </message>
    <message>
        <source>System administrator</source>
        <translation>Systemadministrator</translation>
    </message>
</context>
<context>
    <name>hcm::ScheduleService</name>
    <message>
        <source>The schedule needs a name.</source>
        <translation>Der Zeitplan braucht einen Namen.</translation>
    </message>
    <message>
        <source>The name must not start or end with a space.</source>
        <translation>Der Name darf nicht mit einem Leerzeichen beginnen oder enden.</translation>
    </message>
    <message>
        <source>The name has %1 characters; the limit is %2.</source>
        <translation>Der Name hat %1 Zeichen; das Limit liegt bei %2.</translation>
    </message>
    <message>
        <source>Invalid cron expression: %1.</source>
        <translation>Ungültiger Cron-Ausdruck: %1.</translation>
    </message>
    <message>
        <source>Unknown time zone &quot;%1&quot;: use an IANA name such as Europe/Berlin or UTC.</source>
        <translation>Unbekannte Zeitzone „%1“: verwenden Sie einen IANA-Namen wie Europe/Berlin oder UTC.</translation>
    </message>
    <message>
        <source>A schedule named &quot;%1&quot; exists already.</source>
        <translation>Ein Zeitplan namens „%1“ existiert bereits.</translation>
    </message>
    <message>
        <source>There is no schedule named &quot;%1&quot;.</source>
        <translation>Es gibt keinen Zeitplan namens „%1“.</translation>
    </message>
</context>
<context>
    <name>hcm::ScheduleStore</name>
    <message>
        <source>reading the database&apos;s time</source>
        <translation>Lesen der Datenbankzeit</translation>
    </message>
    <message>
        <source>announcing a schedule change</source>
        <translation>Ankündigen einer Zeitplanänderung</translation>
    </message>
    <message>
        <source>reading the schedules</source>
        <translation>Lesen der Zeitpläne</translation>
    </message>
    <message>
        <source>reading schedule %1</source>
        <translation>Lesen des Zeitplans %1</translation>
    </message>
    <message>
        <source>There is no schedule %1.</source>
        <translation>Es gibt keinen Zeitplan %1.</translation>
    </message>
    <message>
        <source>adding schedule %1</source>
        <translation>Hinzufügen des Zeitplans %1</translation>
    </message>
    <message>
        <source>adding schedule %1: no id came back</source>
        <translation>Hinzufügen des Zeitplans %1: keine ID zurückgegeben</translation>
    </message>
    <message>
        <source>changing schedule %1</source>
        <translation>Ändern des Zeitplans %1</translation>
    </message>
    <message>
        <source>deleting schedule %1</source>
        <translation>Löschen des Zeitplans %1</translation>
    </message>
    <message>
        <source>reading the jobs of schedule %1</source>
        <translation>Lesen der Jobs des Zeitplans %1</translation>
    </message>
    <message>
        <source>running schedule %1</source>
        <translation>Ausführen des Zeitplans %1</translation>
    </message>
    <message>
        <source>announcing a new job</source>
        <translation>Ankündigen eines neuen Jobs</translation>
    </message>
    <message>
        <source>reading the next due schedule</source>
        <translation>Lesen des nächsten fälligen Zeitplans</translation>
    </message>
    <message>
        <source>computing the next run of schedule %1</source>
        <translation>Berechnen der nächsten Ausführung des Zeitplans %1</translation>
    </message>
    <message>
        <source>reading the due schedules</source>
        <translation>Lesen der fälligen Zeitpläne</translation>
    </message>
    <message numerus="yes">
        <source>making the jobs of %n schedules</source>
        <translation>
            <numerusform>Erstellen der Jobs von %n Zeitplan</numerusform>
            <numerusform>Erstellen der Jobs von %n Zeitplänen</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>advancing %n schedules</source>
        <translation>
            <numerusform>Weiterschalten von %n Zeitplan</numerusform>
            <numerusform>Weiterschalten von %n Zeitplänen</numerusform>
        </translation>
    </message>
    <message>
        <source>A schedule changed while its due slot was claimed.</source>
        <translation>Ein Zeitplan hat sich geändert, während sein fälliger Termin übernommen war.</translation>
    </message>
    <message>
        <source>announcing new jobs</source>
        <translation>Ankündigen neuer Jobs</translation>
    </message>
</context>
<context>
    <name>hcm::SecretBox</name>
    <message>
        <source>The secret key in %1 is not valid: it must be %2 random bytes written in base64 (44 characters).</source>
        <translation>Der geheime Schlüssel in %1 ist ungültig: er muss aus %2 Zufallsbytes in Base64 bestehen (44 Zeichen).</translation>
    </message>
    <message>
        <source>Cannot create the folder %1 for the secret key file.</source>
        <translation>Der Ordner %1 für die Schlüsseldatei kann nicht angelegt werden.</translation>
    </message>
    <message>
        <source>Cannot create the secret key file %1: %2</source>
        <translation>Die Schlüsseldatei %1 kann nicht angelegt werden: %2</translation>
    </message>
    <message>
        <source>Cannot write the secret key file %1.</source>
        <translation>Die Schlüsseldatei %1 kann nicht geschrieben werden.</translation>
    </message>
    <message>
        <source>The encryption library (libsodium) could not be initialised.</source>
        <translation>Die Verschlüsselungsbibliothek (libsodium) konnte nicht initialisiert werden.</translation>
    </message>
    <message>
        <source>The secret key file %1 does not exist, so the stored notification secrets cannot be decrypted. Restore the key file (or set HCM_SECRET_KEY), or set the secrets again.</source>
        <translation>Die Schlüsseldatei %1 existiert nicht, daher können die gespeicherten Benachrichtigungsgeheimnisse nicht entschlüsselt werden. Stellen Sie die Schlüsseldatei wieder her (oder setzen Sie HCM_SECRET_KEY) oder setzen Sie die Geheimnisse neu.</translation>
    </message>
    <message>
        <source>Cannot read the secret key file %1: %2</source>
        <translation>Die Schlüsseldatei %1 kann nicht gelesen werden: %2</translation>
    </message>
    <message>
        <source>the key file %1</source>
        <translation>die Schlüsseldatei %1</translation>
    </message>
    <message>
        <source>key file %1</source>
        <translation>Schlüsseldatei %1</translation>
    </message>
    <message>
        <source>The stored %1 is damaged (not in the expected format); set it again.</source>
        <translation>Der gespeicherte Wert von %1 ist beschädigt (nicht im erwarteten Format); setzen Sie ihn neu.</translation>
    </message>
    <message>
        <source>The stored %1 was encrypted with a different key (key id %2) than the one in use (%3, key id %4). Restore the original key, or set the secret again.</source>
        <translation>Der gespeicherte Wert von %1 wurde mit einem anderen Schlüssel (Schlüssel-ID %2) verschlüsselt als dem verwendeten (%3, Schlüssel-ID %4). Stellen Sie den ursprünglichen Schlüssel wieder her oder setzen Sie das Geheimnis neu.</translation>
    </message>
    <message>
        <source>The stored %1 cannot be decrypted with the key from %2: it was altered or the key is wrong. Restore the original key, or set the secret again.</source>
        <translation>Der gespeicherte Wert von %1 kann mit dem Schlüssel aus %2 nicht entschlüsselt werden: er wurde verändert oder der Schlüssel ist falsch. Stellen Sie den ursprünglichen Schlüssel wieder her oder setzen Sie das Geheimnis neu.</translation>
    </message>
    <message>
        <source>HCM_SECRET_KEY from the environment</source>
        <translation>HCM_SECRET_KEY aus der Umgebung</translation>
    </message>
</context>
<context>
    <name>hcm::SlackChannel</name>
    <message>
        <source> The webhook URL is no longer valid: create a new incoming webhook in Slack and set it here.</source>
        <translation> Die Webhook-URL ist nicht mehr gültig: legen Sie in Slack einen neuen Incoming Webhook an und tragen Sie ihn hier ein.</translation>
    </message>
    <message>
        <source> Check the Slack channel setting.</source>
        <translation> Prüfen Sie die Einstellung des Slack-Kanals.</translation>
    </message>
    <message>
        <source> A Slack administrator restricted posting to that channel.</source>
        <translation> Ein Slack-Administrator hat das Posten in diesem Kanal eingeschränkt.</translation>
    </message>
    <message>
        <source>Slack says: %1 (HTTP %2).%3</source>
        <translation>Slack meldet: %1 (HTTP %2).%3</translation>
    </message>
    <message>
        <source>Set it again in the notification settings.</source>
        <translation>Setzen Sie es in den Benachrichtigungseinstellungen neu.</translation>
    </message>
</context>
<context>
    <name>hcm::SmtpChannel</name>
    <message>
        <source>The email library (libcurl) could not start.</source>
        <translation>Die E-Mail-Bibliothek (libcurl) konnte nicht starten.</translation>
    </message>
    <message>
        <source>The SMTP server %1 rejected the user name or password%2. Check the SMTP user name and password.</source>
        <translation>Der SMTP-Server %1 hat den Benutzernamen oder das Passwort abgelehnt%2. Prüfen Sie SMTP-Benutzername und -Passwort.</translation>
    </message>
    <message>
        <source>The certificate of %1 is not trusted (%2). Install the issuing CA on this machine, or name its file as the extra trusted CA in the notification settings.</source>
        <translation>Dem Zertifikat von %1 wird nicht vertraut (%2). Installieren Sie die ausstellende CA auf diesem Rechner oder geben Sie ihre Datei in den Benachrichtigungseinstellungen als zusätzliche vertrauenswürdige CA an.</translation>
    </message>
    <message>
        <source>The SMTP server %1 does not offer STARTTLS. Choose implicit TLS (usually port 465) or check the port.</source>
        <translation>Der SMTP-Server %1 bietet kein STARTTLS an. Wählen Sie implizites TLS (meist Port 465) oder prüfen Sie den Port.</translation>
    </message>
    <message>
        <source>The TLS handshake with %1 failed (%2). If the server expects STARTTLS (usually port 587), choose STARTTLS instead of implicit TLS.</source>
        <translation>Der TLS-Handshake mit %1 ist fehlgeschlagen (%2). Wenn der Server STARTTLS erwartet (meist Port 587), wählen Sie STARTTLS statt implizitem TLS.</translation>
    </message>
    <message>
        <source>The SMTP server name %1 could not be resolved. Check the host name.</source>
        <translation>Der Name des SMTP-Servers %1 konnte nicht aufgelöst werden. Prüfen Sie den Hostnamen.</translation>
    </message>
    <message>
        <source>Could not connect to the SMTP server %1 (%2). Check the host, the port and the firewall.</source>
        <translation>Keine Verbindung zum SMTP-Server %1 (%2). Prüfen Sie Host, Port und Firewall.</translation>
    </message>
    <message>
        <source>Could not connect to the SMTP server %1 within %2 s.</source>
        <translation>Keine Verbindung zum SMTP-Server %1 innerhalb von %2 s.</translation>
    </message>
    <message>
        <source>The SMTP server %1 accepted the connection but did not answer within %2 s%3.</source>
        <translation>Der SMTP-Server %1 hat die Verbindung angenommen, aber nicht innerhalb von %2 s geantwortet%3.</translation>
    </message>
    <message>
        <source> (no greeting)</source>
        <translation> (keine Begrüßung)</translation>
    </message>
    <message>
        <source> (after %1)</source>
        <translation> (nach %1)</translation>
    </message>
    <message>
        <source>Sending the email was cancelled.</source>
        <translation>Das Senden der E-Mail wurde abgebrochen.</translation>
    </message>
    <message>
        <source>The SMTP server %1 requires a login%2: set the SMTP user name and password.</source>
        <translation>Der SMTP-Server %1 verlangt eine Anmeldung%2: legen Sie SMTP-Benutzername und -Passwort fest.</translation>
    </message>
    <message>
        <source>The SMTP server %1 refused the recipients%2.</source>
        <translation>Der SMTP-Server %1 hat die Empfänger abgelehnt%2.</translation>
    </message>
    <message>
        <source>The SMTP server %1 refused the sender address %2%3.</source>
        <translation>Der SMTP-Server %1 hat die Absenderadresse %2 abgelehnt%3.</translation>
    </message>
    <message>
        <source>The SMTP server %1 refused the message%2.</source>
        <translation>Der SMTP-Server %1 hat die Nachricht abgelehnt%2.</translation>
    </message>
    <message>
        <source>Sending the email through %1 failed: %2%3.</source>
        <translation>Das Senden der E-Mail über %1 ist fehlgeschlagen: %2%3.</translation>
    </message>
    <message>
        <source>Not sent: without encryption the SMTP password would travel to %1 readable by anyone on the way. Choose STARTTLS or TLS in the notification settings, or clear the user name and password.</source>
        <translation>Nicht gesendet: ohne Verschlüsselung würde das SMTP-Passwort für jeden auf dem Weg lesbar zu %1 gelangen. Wählen Sie in den Benachrichtigungseinstellungen STARTTLS oder TLS, oder leeren Sie Benutzername und Passwort.</translation>
    </message>
</context>
<context>
    <name>hcm::TwilioChannel</name>
    <message>
        <source>The Twilio API address %1 is not an https:// URL.</source>
        <translation>Die Twilio-API-Adresse %1 ist keine https://-URL.</translation>
    </message>
    <message>
        <source> The account SID or auth token is wrong.</source>
        <translation> Die Account-SID oder das Auth-Token ist falsch.</translation>
    </message>
    <message>
        <source> Check the account SID.</source>
        <translation> Prüfen Sie die Account-SID.</translation>
    </message>
    <message>
        <source> Check the recipient number %1.</source>
        <translation> Prüfen Sie die Empfängernummer %1.</translation>
    </message>
    <message>
        <source> The sender number %1 is not one of your Twilio numbers.</source>
        <translation> Die Absendernummer %1 ist keine Ihrer Twilio-Nummern.</translation>
    </message>
    <message>
        <source> Enable SMS to that country in the Twilio console (geo permissions).</source>
        <translation> Aktivieren Sie SMS in dieses Land in der Twilio-Konsole (Geo-Berechtigungen).</translation>
    </message>
    <message>
        <source>Twilio answered HTTP %1 without an error message.</source>
        <translation>Twilio antwortete mit HTTP %1 ohne Fehlermeldung.</translation>
    </message>
    <message>
        <source>Twilio says: %1 (error %2).%3</source>
        <translation>Twilio meldet: %1 (Fehler %2).%3</translation>
    </message>
</context>
<context>
    <name>hcm::UserService</name>
    <message>
        <source>reading the user %1</source>
        <translation>Lesen des Benutzers %1</translation>
    </message>
    <message>
        <source>counting the system administrators</source>
        <translation>Zählen der Systemadministratoren</translation>
    </message>
    <message>
        <source>giving %1 the role %2</source>
        <translation>Zuweisen der Rolle %2 an %1</translation>
    </message>
    <message>
        <source>Changing roles on PostgreSQL needs a login with CREATEROLE or ADMIN OPTION on the group roles, and the login %1 must exist (CREATE ROLE %1 LOGIN;).</source>
        <translation>Rollen unter PostgreSQL zu ändern erfordert eine Anmeldung mit CREATEROLE oder ADMIN OPTION für die Gruppenrollen, und die Anmeldung %1 muss existieren (CREATE ROLE %1 LOGIN;).</translation>
    </message>
    <message>
        <source>The user name is empty.</source>
        <translation>Der Benutzername ist leer.</translation>
    </message>
    <message>
        <source>The user name is %1 characters long; the limit is %2.</source>
        <translation>Der Benutzername ist %1 Zeichen lang; das Limit liegt bei %2.</translation>
    </message>
    <message>
        <source>The user name &quot;%1&quot; may contain only letters, digits and . _ - @.</source>
        <translation>Der Benutzername „%1“ darf nur Buchstaben, Ziffern und . _ - @ enthalten.</translation>
    </message>
    <message>
        <source>reading the users</source>
        <translation>Lesen der Benutzer</translation>
    </message>
    <message>
        <source>The display name is %1 characters long; the limit is 200.</source>
        <translation>Der Anzeigename ist %1 Zeichen lang; das Limit liegt bei 200.</translation>
    </message>
    <message>
        <source>The user &quot;%1&quot; exists already (%2%3); change it with set-role or enable.</source>
        <translation>Der Benutzer „%1“ existiert bereits (%2%3); ändern Sie ihn mit set-role oder enable.</translation>
    </message>
    <message>
        <source>, disabled</source>
        <translation>, deaktiviert</translation>
    </message>
    <message>
        <source>adding the user %1</source>
        <translation>Hinzufügen des Benutzers %1</translation>
    </message>
    <message>
        <source>There is no user &quot;%1&quot;; add it with: hcmctl users add %1 --role %2.</source>
        <translation>Es gibt keinen Benutzer „%1“; fügen Sie ihn hinzu mit: hcmctl users add %1 --role %2.</translation>
    </message>
    <message>
        <source>%1 is the last system administrator and cannot become %2: make someone else a system administrator first.</source>
        <translation>%1 ist der letzte Systemadministrator und kann nicht %2 werden: machen Sie zuerst jemand anderen zum Systemadministrator.</translation>
    </message>
    <message>
        <source>changing the role of %1</source>
        <translation>Ändern der Rolle von %1</translation>
    </message>
    <message>
        <source>There is no user &quot;%1&quot;.</source>
        <translation>Es gibt keinen Benutzer „%1“.</translation>
    </message>
    <message>
        <source>%1 is the last system administrator and cannot be disabled: make someone else a system administrator first.</source>
        <translation>%1 ist der letzte Systemadministrator und kann nicht deaktiviert werden: machen Sie zuerst jemand anderen zum Systemadministrator.</translation>
    </message>
    <message>
        <source>changing the user %1</source>
        <translation>Ändern des Benutzers %1</translation>
    </message>
</context>
<context>
    <name>hcm::WorkerPool</name>
    <message>
        <source>Could not save %1 job results; retrying in %2 ms: %3</source>
        <translation>%1 Job-Ergebnisse konnten nicht gespeichert werden; neuer Versuch in %2 ms: %3</translation>
    </message>
    <message>
        <source>The database is unreachable; reconnecting: %1</source>
        <translation>Die Datenbank ist nicht erreichbar; Verbindung wird wiederhergestellt: %1</translation>
    </message>
    <message>
        <source>Could not return %1 jobs to the queue; their leases will expire: %2</source>
        <translation>%1 Jobs konnten nicht an die Warteschlange zurückgegeben werden; ihre Leases laufen ab: %2</translation>
    </message>
    <message>
        <source>the database is unreachable</source>
        <translation>die Datenbank ist nicht erreichbar</translation>
    </message>
    <message>
        <source>Could not return %1 unstarted jobs to the queue; retrying: %2</source>
        <translation>%1 nicht gestartete Jobs konnten nicht an die Warteschlange zurückgegeben werden; neuer Versuch: %2</translation>
    </message>
    <message>
        <source>The database refused %1 claims in a row; giving up: %2</source>
        <translation>Die Datenbank hat %1 Übernahmen hintereinander verweigert; Abbruch: %2</translation>
    </message>
    <message>
        <source>Could not claim jobs (%1 refused in a row); retrying in %2 s: %3</source>
        <translation>Jobs konnten nicht übernommen werden (%1 hintereinander verweigert); neuer Versuch in %2 s: %3</translation>
    </message>
    <message>
        <source>The database stayed unreachable after %1 tries; giving up: %2</source>
        <translation>Die Datenbank blieb nach %1 Versuchen unerreichbar; Abbruch: %2</translation>
    </message>
</context>
<context>
    <name>hcm::api::ApiServer</name>
    <message numerus="yes">
        <source>The request has %n errors.</source>
        <translation>
            <numerusform>Die Anfrage enthält %n Fehler.</numerusform>
            <numerusform>Die Anfrage enthält %n Fehler.</numerusform>
        </translation>
    </message>
    <message>
        <source>The database is not available; try again later.</source>
        <translation>Die Datenbank ist nicht verfügbar; versuchen Sie es später erneut.</translation>
    </message>
    <message>
        <source>The server could not complete the request.</source>
        <translation>Der Server konnte die Anfrage nicht abschließen.</translation>
    </message>
    <message>
        <source>The body must be JSON, sent with Content-Type: application/json.</source>
        <translation>Der Body muss JSON sein, gesendet mit Content-Type: application/json.</translation>
    </message>
    <message>
        <source>The body is not valid JSON: %1 at byte %2.</source>
        <translation>Der Body ist kein gültiges JSON: %1 bei Byte %2.</translation>
    </message>
    <message>
        <source>The body must be a JSON object.</source>
        <translation>Der Body muss ein JSON-Objekt sein.</translation>
    </message>
    <message>
        <source>Unknown parameter; use status, job_type, limit or cursor.</source>
        <translation>Unbekannter Parameter; verwenden Sie status, job_type, limit oder cursor.</translation>
    </message>
    <message>
        <source>Unknown status &quot;%1&quot;: use queued, processing, completed, failed or cancelled.</source>
        <translation>Unbekannter Status „%1“: verwenden Sie queued, processing, completed, failed oder cancelled.</translation>
    </message>
    <message>
        <source>limit must be a whole number from 1 to 500.</source>
        <translation>limit muss eine ganze Zahl von 1 bis 500 sein.</translation>
    </message>
    <message>
        <source>Unknown field; use job_type, priority, payload, max_retries or run_at.</source>
        <translation>Unbekanntes Feld; verwenden Sie job_type, priority, payload, max_retries oder run_at.</translation>
    </message>
    <message>
        <source>job_type is required: the name of a job type.</source>
        <translation>job_type ist Pflicht: der Name eines Jobtyps.</translation>
    </message>
    <message>
        <source>Unknown job type &quot;%1&quot;; known types: %2.</source>
        <translation>Unbekannter Jobtyp „%1“; bekannte Typen: %2.</translation>
    </message>
    <message>
        <source>priority must be one of low, normal, high, critical.</source>
        <translation>priority muss low, normal, high oder critical sein.</translation>
    </message>
    <message>
        <source>payload must be a JSON object.</source>
        <translation>payload muss ein JSON-Objekt sein.</translation>
    </message>
    <message>
        <source>max_retries must be a whole number from 0 to %1.</source>
        <translation>max_retries muss eine ganze Zahl von 0 bis %1 sein.</translation>
    </message>
    <message>
        <source>run_at must be a string.</source>
        <translation>run_at muss ein String sein.</translation>
    </message>
    <message>
        <source>Idempotency-Key must be 1 to 255 visible ASCII characters.</source>
        <translation>Idempotency-Key muss aus 1 bis 255 sichtbaren ASCII-Zeichen bestehen.</translation>
    </message>
    <message>
        <source>This Idempotency-Key was used for a different request within 24 hours.</source>
        <translation>Dieser Idempotency-Key wurde innerhalb von 24 Stunden für eine andere Anfrage verwendet.</translation>
    </message>
    <message>
        <source>There is no job &quot;%1&quot;.</source>
        <translation>Es gibt keinen Job „%1“.</translation>
    </message>
    <message>
        <source>Job %1 is %2 already: there is nothing to cancel.</source>
        <translation>Job %1 ist bereits %2: es gibt nichts abzubrechen.</translation>
    </message>
    <message>
        <source>The job could not be cancelled.</source>
        <translation>Der Job konnte nicht abgebrochen werden.</translation>
    </message>
    <message>
        <source>version is required: the version of the settings you read (GET).</source>
        <translation>version ist Pflicht: die Version der gelesenen Einstellungen (GET).</translation>
    </message>
    <message>
        <source>Changed by someone else since version %1.</source>
        <translation>Seit Version %1 von jemand anderem geändert.</translation>
    </message>
    <message>
        <source>recipient must be an email address.</source>
        <translation>recipient muss eine E-Mail-Adresse sein.</translation>
    </message>
    <message>
        <source>Send a token: Authorization: Bearer &lt;token&gt; (hcmctl tokens create).</source>
        <translation>Senden Sie ein Token: Authorization: Bearer &lt;token&gt; (hcmctl tokens create).</translation>
    </message>
    <message>
        <source>Only Bearer tokens are accepted: Authorization: Bearer &lt;token&gt;.</source>
        <translation>Nur Bearer-Token werden akzeptiert: Authorization: Bearer &lt;token&gt;.</translation>
    </message>
    <message>
        <source>Too many requests: at most %1 per minute for this token; try again in %2 s.</source>
        <translation>Zu viele Anfragen: höchstens %1 pro Minute für dieses Token; versuchen Sie es in %2 s erneut.</translation>
    </message>
    <message>
        <source>The API description is missing from this build.</source>
        <translation>Die API-Beschreibung fehlt in diesem Build.</translation>
    </message>
    <message>
        <source>The cursor is not one this server gave out: send next_cursor of the previous page as it is.</source>
        <translation>Dieser Cursor stammt nicht von diesem Server: senden Sie next_cursor der vorigen Seite unverändert.</translation>
    </message>
    <message>
        <source>The cursor belongs to a listing with other filters: send the same status and job_type as the request that returned it.</source>
        <translation>Der Cursor gehört zu einer Liste mit anderen Filtern: senden Sie dieselben Werte für status und job_type wie in der Anfrage, die ihn geliefert hat.</translation>
    </message>
    <message>
        <source>reading the new job</source>
        <translation>Lesen des neuen Jobs</translation>
    </message>
    <message>
        <source>The new job was not found.</source>
        <translation>Der neue Job wurde nicht gefunden.</translation>
    </message>
</context>
<context>
    <name>hcm::api::HttpServer</name>
    <message>
        <source>The request was not received in time.</source>
        <translation>Die Anfrage wurde nicht rechtzeitig empfangen.</translation>
    </message>
    <message>
        <source>The request head is larger than %1 bytes.</source>
        <translation>Der Anfragekopf ist größer als %1 Bytes.</translation>
    </message>
    <message>
        <source>The request body is larger than %1 bytes.</source>
        <translation>Der Anfrage-Body ist größer als %1 Bytes.</translation>
    </message>
    <message>
        <source>The request line is malformed.</source>
        <translation>Die Anfragezeile ist fehlerhaft.</translation>
    </message>
    <message>
        <source>Only HTTP/1.1 and HTTP/1.0 are served.</source>
        <translation>Nur HTTP/1.1 und HTTP/1.0 werden bedient.</translation>
    </message>
    <message>
        <source>The request target is malformed.</source>
        <translation>Das Anfrageziel ist fehlerhaft.</translation>
    </message>
    <message>
        <source>A header field is malformed.</source>
        <translation>Ein Header-Feld ist fehlerhaft.</translation>
    </message>
    <message>
        <source>Content-Length is not valid.</source>
        <translation>Content-Length ist ungültig.</translation>
    </message>
    <message>
        <source>Send the body with Content-Length; chunked transfer encoding is not accepted.</source>
        <translation>Senden Sie den Body mit Content-Length; Chunked Transfer-Encoding wird nicht akzeptiert.</translation>
    </message>
    <message>
        <source>Too many connections; try again later.</source>
        <translation>Zu viele Verbindungen; versuchen Sie es später erneut.</translation>
    </message>
</context>
<context>
    <name>hcm::app</name>
    <message>
        <source>The database: a SQLite file path (default: %1), or postgresql://user:password@host:port/dbname (parts left out come from PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE).</source>
        <translation>Die Datenbank: ein SQLite-Dateipfad (Standard: %1) oder postgresql://user:password@host:port/dbname (fehlende Teile kommen aus PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE).</translation>
    </message>
    <message>
        <source>path</source>
        <translation>Pfad</translation>
    </message>
</context>
<context>
    <name>hcm::ctl</name>
    <message>
        <source>Usage: hcmctl [--db PATH] [--json] %1</source>
        <translation>Aufruf: hcmctl [--db PFAD] [--json] %1</translation>
    </message>
    <message>
        <source>--%1 needs a whole number of at least %2; &quot;%3&quot; was given.</source>
        <translation>--%1 braucht eine ganze Zahl von mindestens %2; angegeben wurde „%3“.</translation>
    </message>
    <message>
        <source>Run &quot;hcmctl %1 --help&quot; for details.</source>
        <translation>Mit „hcmctl %1 --help“ erhalten Sie Details.</translation>
    </message>
    <message>
        <source>TYPE</source>
        <translation>TYP</translation>
    </message>
    <message>
        <source>The job type; &quot;hcmctl jobs types&quot; lists them.</source>
        <translation>Der Jobtyp; „hcmctl jobs types“ listet sie auf.</translation>
    </message>
    <message>
        <source>Creates a job and prints its id.</source>
        <translation>Legt einen Job an und gibt seine ID aus.</translation>
    </message>
    <message>
        <source>low, normal (default), high or critical.</source>
        <translation>low, normal (Standard), high oder critical.</translation>
    </message>
    <message>
        <source>PRIORITY</source>
        <translation>PRIORITÄT</translation>
    </message>
    <message>
        <source>The payload, a JSON object; @FILE reads it from a file, - from standard input.</source>
        <translation>Die Payload, ein JSON-Objekt; @DATEI liest sie aus einer Datei, - von der Standardeingabe.</translation>
    </message>
    <message>
        <source>JSON</source>
        <translation>JSON</translation>
    </message>
    <message>
        <source>Retries after a failure, 0 to 25 (default 3).</source>
        <translation>Wiederholungen nach einem Fehlschlag, 0 bis 25 (Standard 3).</translation>
    </message>
    <message>
        <source>N</source>
        <translation>N</translation>
    </message>
    <message>
        <source>Start no earlier than this ISO 8601 time.</source>
        <translation>Nicht vor diesem ISO-8601-Zeitpunkt starten.</translation>
    </message>
    <message>
        <source>TIME</source>
        <translation>ZEIT</translation>
    </message>
    <message>
        <source>Lists jobs, newest first, with filters.</source>
        <translation>Listet Jobs auf, neueste zuerst, mit Filtern.</translation>
    </message>
    <message>
        <source>Only these statuses (comma-separated).</source>
        <translation>Nur diese Status (durch Kommas getrennt).</translation>
    </message>
    <message>
        <source>STATUS</source>
        <translation>STATUS</translation>
    </message>
    <message>
        <source>Only this job type.</source>
        <translation>Nur dieser Jobtyp.</translation>
    </message>
    <message>
        <source>Match the id, type or error text.</source>
        <translation>Mit ID, Typ oder Fehlertext abgleichen.</translation>
    </message>
    <message>
        <source>TEXT</source>
        <translation>TEXT</translation>
    </message>
    <message>
        <source>At most N jobs (default 50).</source>
        <translation>Höchstens N Jobs (Standard 50).</translation>
    </message>
    <message>
        <source>Skip the first N jobs.</source>
        <translation>Die ersten N Jobs überspringen.</translation>
    </message>
    <message>
        <source>id (default), created, status, type or priority.</source>
        <translation>id (Standard), created, status, type oder priority.</translation>
    </message>
    <message>
        <source>COLUMN</source>
        <translation>SPALTE</translation>
    </message>
    <message>
        <source>ID</source>
        <translation>ID</translation>
    </message>
    <message>
        <source>The job id, as job_12 or 12.</source>
        <translation>Die Job-ID, als job_12 oder 12.</translation>
    </message>
    <message>
        <source>Shows one job with its payload, result and attempts.</source>
        <translation>Zeigt einen Job mit Payload, Ergebnis und Versuchen.</translation>
    </message>
    <message>
        <source>ID...</source>
        <translation>ID...</translation>
    </message>
    <message>
        <source>One or more job ids, as job_12 or 12.</source>
        <translation>Eine oder mehrere Job-IDs, als job_12 oder 12.</translation>
    </message>
    <message>
        <source>Lists the job types with their payload templates.</source>
        <translation>Listet die Jobtypen mit ihren Payload-Vorlagen auf.</translation>
    </message>
    <message>
        <source>Applies pending schema migrations.</source>
        <translation>Wendet ausstehende Schema-Migrationen an.</translation>
    </message>
    <message>
        <source>Shows the notification settings (secrets only as set or unset).</source>
        <translation>Zeigt die Benachrichtigungseinstellungen (Geheimnisse nur als gesetzt oder nicht gesetzt).</translation>
    </message>
    <message>
        <source>KEY=VALUE...</source>
        <translation>KEY=VALUE...</translation>
    </message>
    <message>
        <source>Settings to change; &quot;hcmctl settings show&quot; lists the keys.</source>
        <translation>Zu ändernde Einstellungen; „hcmctl settings show“ listet die Schlüssel auf.</translation>
    </message>
    <message>
        <source>Changes notification settings; nothing is saved if any value is invalid.</source>
        <translation>Ändert Benachrichtigungseinstellungen; nichts wird gespeichert, wenn ein Wert ungültig ist.</translation>
    </message>
    <message>
        <source>Also set this secret (smtp_password, twilio_auth_token, slack_webhook_url) from standard input.</source>
        <translation>Auch dieses Geheimnis (smtp_password, twilio_auth_token, slack_webhook_url) von der Standardeingabe setzen.</translation>
    </message>
    <message>
        <source>KEY</source>
        <translation>SCHLÜSSEL</translation>
    </message>
    <message>
        <source>smtp_password, twilio_auth_token or slack_webhook_url.</source>
        <translation>smtp_password, twilio_auth_token oder slack_webhook_url.</translation>
    </message>
    <message>
        <source>Removes a stored secret.</source>
        <translation>Entfernt ein gespeichertes Geheimnis.</translation>
    </message>
    <message>
        <source>CHANNEL</source>
        <translation>KANAL</translation>
    </message>
    <message>
        <source>email, sms or slack.</source>
        <translation>email, sms oder slack.</translation>
    </message>
    <message>
        <source>Really sends a test message (at most 5 per minute).</source>
        <translation>Sendet wirklich eine Testnachricht (höchstens 5 pro Minute).</translation>
    </message>
    <message>
        <source>Send to this address or number instead of the configured recipients.</source>
        <translation>An diese Adresse oder Nummer statt an die konfigurierten Empfänger senden.</translation>
    </message>
    <message>
        <source>ADDRESS</source>
        <translation>ADRESSE</translation>
    </message>
    <message>
        <source>Lists notification deliveries, newest first, or those of one job.</source>
        <translation>Listet Benachrichtigungszustellungen auf, neueste zuerst, oder die eines Jobs.</translation>
    </message>
    <message>
        <source>Only the deliveries made by or about this job.</source>
        <translation>Nur die Zustellungen, die von diesem Job oder über ihn erfolgten.</translation>
    </message>
    <message>
        <source>At most N deliveries (default 50).</source>
        <translation>Höchstens N Zustellungen (Standard 50).</translation>
    </message>
    <message>
        <source>PATH</source>
        <translation>PFAD</translation>
    </message>
    <message>
        <source>Print results as JSON.</source>
        <translation>Ergebnisse als JSON ausgeben.</translation>
    </message>
    <message>
        <source>[options]</source>
        <translation>[Optionen]</translation>
    </message>
    <message>
        <source>Usage: hcmctl [--db PATH] [--json] &lt;command&gt; [arguments]

HCM Admin command-line client: background jobs and the database.

Commands:
</source>
        <translation>Aufruf: hcmctl [--db PFAD] [--json] &lt;Befehl&gt; [Argumente]

Kommandozeilen-Client von HCM Admin: Hintergrundjobs und die Datenbank.

Befehle:
</translation>
    </message>
    <message>
        <source>
Global options:
  --db PATH   the database: a SQLite file path (default: %1), or
              postgresql://user:password@host:port/dbname; parts left out come from
              PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE (postgresql:///dbname)
  --json      print results as JSON
  --help      show help (also after a command: hcmctl jobs list --help)
  --version   show the version

Exit codes: 0 success, 1 the operation failed, 2 usage error.
</source>
        <translation>
Globale Optionen:
  --db PFAD   die Datenbank: ein SQLite-Dateipfad (Standard: %1) oder
              postgresql://user:password@host:port/dbname; fehlende Teile kommen aus
              PGHOST, PGPORT, PGUSER, PGPASSWORD und PGDATABASE (postgresql:///dbname)
  --json      Ergebnisse als JSON ausgeben
  --help      Hilfe anzeigen (auch nach einem Befehl: hcmctl jobs list --help)
  --version   Version anzeigen

Exit-Codes: 0 Erfolg, 1 Vorgang fehlgeschlagen, 2 Aufruffehler.
</translation>
    </message>
    <message>
        <source>Run &quot;hcmctl --help&quot; for the list of commands.</source>
        <translation>Mit „hcmctl --help“ erhalten Sie die Liste der Befehle.</translation>
    </message>
    <message>
        <source>%1 is missing: %2</source>
        <translation>%1 fehlt: %2</translation>
    </message>
    <message>
        <source>Unexpected argument &quot;%1&quot;.</source>
        <translation>Unerwartetes Argument „%1“.</translation>
    </message>
    <message>
        <source>Unknown command &quot;%1&quot;.</source>
        <translation>Unbekannter Befehl „%1“.</translation>
    </message>
    <message>
        <source>Usage: hcmctl [--db PATH] [--json] &lt;command&gt; [arguments]</source>
        <translation>Aufruf: hcmctl [--db PFAD] [--json] &lt;Befehl&gt; [Argumente]</translation>
    </message>
    <message>
        <source>Usage: hcmctl %1 %2 …</source>
        <translation>Aufruf: hcmctl %1 %2 …</translation>
    </message>
    <message>
        <source>&quot;%1&quot; needs a command: %2.</source>
        <translation>„%1“ braucht einen Befehl: %2.</translation>
    </message>
    <message>
        <source>Unknown command &quot;%1 %2&quot;.</source>
        <translation>Unbekannter Befehl „%1 %2“.</translation>
    </message>
    <message>
        <source>total</source>
        <translation>gesamt</translation>
    </message>
    <message>
        <source>payload template: %1</source>
        <translation>Payload-Vorlage: %1</translation>
    </message>
    <message>
        <source>time limit: %1 s</source>
        <translation>Zeitlimit: %1 s</translation>
    </message>
    <message>
        <source>applied migration %1_%2</source>
        <translation>Migration %1_%2 angewendet</translation>
    </message>
    <message>
        <source>schema version %1 (up to date)</source>
        <translation>Schemaversion %1 (aktuell)</translation>
    </message>
    <message>
        <source> (+ %1 write-ahead log)</source>
        <translation> (+ %1 Write-Ahead-Log)</translation>
    </message>
    <message>
        <source>jobs:</source>
        <translation>Jobs:</translation>
    </message>
    <message>
        <source>Sort ascending instead of descending.</source>
        <translation>Aufsteigend statt absteigend sortieren.</translation>
    </message>
    <message>
        <source>cancelling</source>
        <translation>wird abgebrochen</translation>
    </message>
    <message>
        <source>retrying in %1 min</source>
        <translation>neuer Versuch in %1 min</translation>
    </message>
    <message>
        <source>(none)</source>
        <translation>(keine)</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a job id; write job_12 or 12.</source>
        <translation>„%1“ ist keine Job-ID; schreiben Sie job_12 oder 12.</translation>
    </message>
    <message>
        <source>Cannot read the payload from standard input: %1</source>
        <translation>Die Payload kann nicht von der Standardeingabe gelesen werden: %1</translation>
    </message>
    <message>
        <source>Cannot read the payload file %1: %2</source>
        <translation>Die Payload-Datei %1 kann nicht gelesen werden: %2</translation>
    </message>
    <message>
        <source>Unknown status &quot;%1&quot;: use queued, processing, completed, failed or cancelled.</source>
        <translation>Unbekannter Status „%1“: verwenden Sie queued, processing, completed, failed oder cancelled.</translation>
    </message>
    <message>
        <source>Unknown sort column &quot;%1&quot;: use id, created, status, type or priority.</source>
        <translation>Unbekannte Sortierspalte „%1“: verwenden Sie id, created, status, type oder priority.</translation>
    </message>
    <message>
        <source>ATTEMPTS</source>
        <translation>VERSUCHE</translation>
    </message>
    <message>
        <source>CREATED</source>
        <translation>ERSTELLT</translation>
    </message>
    <message>
        <source>ERROR</source>
        <translation>FEHLER</translation>
    </message>
    <message>
        <source>%1 of %2 jobs</source>
        <translation>%1 von %2 Jobs</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>Typ</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Priority</source>
        <translation>Priorität</translation>
    </message>
    <message>
        <source>Retries</source>
        <translation>Wiederholungen</translation>
    </message>
    <message>
        <source>%1 of %2 used</source>
        <translation>%1 von %2 verbraucht</translation>
    </message>
    <message>
        <source>Attempts</source>
        <translation>Versuche</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>Erstellt</translation>
    </message>
    <message>
        <source>Created by</source>
        <translation>Erstellt von</translation>
    </message>
    <message>
        <source>Run at</source>
        <translation>Ausführen um</translation>
    </message>
    <message>
        <source>Started</source>
        <translation>Gestartet</translation>
    </message>
    <message>
        <source>Completed</source>
        <translation>Abgeschlossen</translation>
    </message>
    <message>
        <source>Worker</source>
        <translation>Worker</translation>
    </message>
    <message>
        <source>Progress</source>
        <translation>Fortschritt</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>Fehler</translation>
    </message>
    <message>
        <source>Payload:</source>
        <translation>Payload:</translation>
    </message>
    <message>
        <source>Result:</source>
        <translation>Ergebnis:</translation>
    </message>
    <message>
        <source>Attempt history:</source>
        <translation>Versuchsverlauf:</translation>
    </message>
    <message>
        <source>(no finished attempts)</source>
        <translation>(keine abgeschlossenen Versuche)</translation>
    </message>
    <message>
        <source>ATTEMPT</source>
        <translation>VERSUCH</translation>
    </message>
    <message>
        <source>WORKER</source>
        <translation>WORKER</translation>
    </message>
    <message>
        <source>STARTED</source>
        <translation>GESTARTET</translation>
    </message>
    <message>
        <source>FINISHED</source>
        <translation>BEENDET</translation>
    </message>
    <message>
        <source>OUTCOME</source>
        <translation>ERGEBNIS</translation>
    </message>
    <message>
        <source>cancellation requested (running)</source>
        <translation>Abbruch angefordert (läuft)</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>abgebrochen</translation>
    </message>
    <message>
        <source>queued for retry</source>
        <translation>zur Wiederholung eingereiht</translation>
    </message>
    <message>
        <source>deleted</source>
        <translation>gelöscht</translation>
    </message>
    <message>
        <source>Nothing was saved.</source>
        <translation>Nichts wurde gespeichert.</translation>
    </message>
    <message>
        <source>Cannot read standard input.</source>
        <translation>Die Standardeingabe kann nicht gelesen werden.</translation>
    </message>
    <message>
        <source>Standard input is empty: pipe the secret in (hcmctl settings clear-secret KEY removes one).</source>
        <translation>Die Standardeingabe ist leer: leiten Sie das Geheimnis per Pipe ein (hcmctl settings clear-secret KEY entfernt eines).</translation>
    </message>
    <message>
        <source>VALUE</source>
        <translation>WERT</translation>
    </message>
    <message>
        <source>Give KEY=VALUE pairs, or --secret-stdin KEY.</source>
        <translation>Geben Sie KEY=VALUE-Paare an oder --secret-stdin KEY.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a secret; secrets are %2.</source>
        <translation>„%1“ ist kein Geheimnis; Geheimnisse sind %2.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not KEY=VALUE.</source>
        <translation>„%1“ hat nicht die Form KEY=VALUE.</translation>
    </message>
    <message>
        <source>%1 is a secret: pass it on standard input with --secret-stdin %1, never on the command line.</source>
        <translation>%1 ist ein Geheimnis: übergeben Sie es auf der Standardeingabe mit --secret-stdin %1, nie auf der Kommandozeile.</translation>
    </message>
    <message>
        <source>Unknown setting &quot;%1&quot;; &quot;hcmctl settings show&quot; lists them.</source>
        <translation>Unbekannte Einstellung „%1“; „hcmctl settings show“ listet sie auf.</translation>
    </message>
    <message>
        <source>saved (version %1)</source>
        <translation>gespeichert (Version %1)</translation>
    </message>
    <message>
        <source>%1 cleared (version %2)</source>
        <translation>%1 gelöscht (Version %2)</translation>
    </message>
    <message>
        <source>Unknown channel &quot;%1&quot;: use email, sms or slack.</source>
        <translation>Unbekannter Kanal „%1“: verwenden Sie email, sms oder slack.</translation>
    </message>
    <message>
        <source>delivered to %1 in %2 ms: %3</source>
        <translation>an %1 zugestellt in %2 ms: %3</translation>
    </message>
    <message>
        <source>not delivered to %1 (%2 ms): %3</source>
        <translation>nicht an %1 zugestellt (%2 ms): %3</translation>
    </message>
    <message>
        <source>RECIPIENT</source>
        <translation>EMPFÄNGER</translation>
    </message>
    <message>
        <source>EVENT</source>
        <translation>EREIGNIS</translation>
    </message>
    <message>
        <source>LATENCY</source>
        <translation>LATENZ</translation>
    </message>
    <message>
        <source>DETAIL</source>
        <translation>DETAIL</translation>
    </message>
    <message numerus="yes">
        <source>%n deliveries</source>
        <translation>
            <numerusform>%n Zustellung</numerusform>
            <numerusform>%n Zustellungen</numerusform>
        </translation>
    </message>
    <message>
        <source>backend:</source>
        <translation>Backend:</translation>
    </message>
    <message>
        <source>server:</source>
        <translation>Server:</translation>
    </message>
    <message>
        <source>PostgreSQL %1</source>
        <translation>PostgreSQL %1</translation>
    </message>
    <message>
        <source>host:</source>
        <translation>Host:</translation>
    </message>
    <message>
        <source>port:</source>
        <translation>Port:</translation>
    </message>
    <message>
        <source>database:</source>
        <translation>Datenbank:</translation>
    </message>
    <message>
        <source>user:</source>
        <translation>Benutzer:</translation>
    </message>
    <message>
        <source>connection:</source>
        <translation>Verbindung:</translation>
    </message>
    <message>
        <source>encrypted (%1)</source>
        <translation>verschlüsselt (%1)</translation>
    </message>
    <message>
        <source>not encrypted</source>
        <translation>unverschlüsselt</translation>
    </message>
    <message>
        <source>database size:</source>
        <translation>Datenbankgröße:</translation>
    </message>
    <message>
        <source>location:</source>
        <translation>Ort:</translation>
    </message>
    <message>
        <source>SQLite:</source>
        <translation>SQLite:</translation>
    </message>
    <message>
        <source>journal mode:</source>
        <translation>Journal-Modus:</translation>
    </message>
    <message>
        <source>file size:</source>
        <translation>Dateigröße:</translation>
    </message>
    <message>
        <source>schema version:</source>
        <translation>Schemaversion:</translation>
    </message>
    <message>
        <source>%1 (latest %2)</source>
        <translation>%1 (neueste %2)</translation>
    </message>
    <message>
        <source>migrations:</source>
        <translation>Migrationen:</translation>
    </message>
    <message>
        <source>none</source>
        <translation>keine</translation>
    </message>
    <message>
        <source>applied %1</source>
        <translation>angewendet %1</translation>
    </message>
    <message>
        <source>workers:</source>
        <translation>Worker:</translation>
    </message>
    <message>
        <source>running</source>
        <extracomment>worker states in &quot;hcmctl db info&quot;</extracomment>
        <translation>laufend</translation>
    </message>
    <message>
        <source>lost</source>
        <extracomment>worker state in &quot;hcmctl db info&quot;: registered, no heartbeat for 90 s</extracomment>
        <translation>verloren</translation>
    </message>
    <message>
        <source>stopped</source>
        <extracomment>worker state in &quot;hcmctl db info&quot;: ended and unregistered</extracomment>
        <translation>beendet</translation>
    </message>
    <message>
        <source>Shows the database (SQLite file or PostgreSQL server), its size, schema version and migrations, job counts and workers.</source>
        <translation>Zeigt die Datenbank (SQLite-Datei oder PostgreSQL-Server), ihre Größe, Schemaversion und Migrationen, die Jobzahlen und die Worker.</translation>
    </message>
    <message>
        <source>
Limits (a longer value is refused and nothing is saved):
</source>
        <translation>
Limits (ein längerer Wert wird abgelehnt und nichts wird gespeichert):
</translation>
    </message>
    <message>
        <source>%1 bytes (from standard input)</source>
        <translation>%1 Bytes (von der Standardeingabe)</translation>
    </message>
    <message>
        <source>%1 entries of %2 characters</source>
        <translation>%1 Einträge mit %2 Zeichen</translation>
    </message>
    <message>
        <source>%1 characters</source>
        <translation>%1 Zeichen</translation>
    </message>
    <message>
        <source>twilio_base_url must be https:// on a host under twilio.com and slack_webhook_url https://hooks.slack.com/…, unless HCM_ALLOW_CUSTOM_PROVIDER_URL=1 is set.
tls_ca_file must be an absolute path to a readable file of PEM certificates (at most %1 KiB).
</source>
        <translation>twilio_base_url muss https:// auf einem Host unter twilio.com sein und slack_webhook_url https://hooks.slack.com/…, sofern nicht HCM_ALLOW_CUSTOM_PROVIDER_URL=1 gesetzt ist.
tls_ca_file muss ein absoluter Pfad zu einer lesbaren Datei mit PEM-Zertifikaten sein (höchstens %1 KiB).
</translation>
    </message>
    <message>
        <source>
The payload is at most %1 KiB; a larger file or standard input is refused unread.
</source>
        <translation>
Die Payload ist höchstens %1 KiB groß; eine größere Datei oder Standardeingabe wird ungelesen abgelehnt.
</translation>
    </message>
    <message>
        <source>worker %1 reports since %2: %3</source>
        <translation>Worker %1 meldet seit %2: %3</translation>
    </message>
    <message>
        <source>[TYPE]</source>
        <translation>[TYP]</translation>
    </message>
    <message>
        <source>The job type to pause (or --all).</source>
        <translation>Der zu pausierende Jobtyp (oder --all).</translation>
    </message>
    <message>
        <source>Pauses a job type: its queued and new jobs wait, running ones finish.</source>
        <translation>Pausiert einen Jobtyp: seine wartenden und neuen Jobs warten, laufende werden beendet.</translation>
    </message>
    <message>
        <source>Pause every job type.</source>
        <translation>Alle Jobtypen pausieren.</translation>
    </message>
    <message>
        <source>The job type to resume (or --all).</source>
        <translation>Der fortzusetzende Jobtyp (oder --all).</translation>
    </message>
    <message>
        <source>Resumes a paused job type: its queued jobs start at once.</source>
        <translation>Setzt einen pausierten Jobtyp fort: seine wartenden Jobs starten sofort.</translation>
    </message>
    <message>
        <source>Resume every paused job type.</source>
        <translation>Alle pausierten Jobtypen fortsetzen.</translation>
    </message>
    <message>
        <source>Counts jobs per status and lists the paused job types.</source>
        <translation>Zählt die Jobs pro Status und listet die pausierten Jobtypen auf.</translation>
    </message>
    <message>
        <source>Re-encrypts the stored secrets from an old key file to the key in use, in one transaction.</source>
        <translation>Verschlüsselt die gespeicherten Geheimnisse in einer Transaktion von einer alten Schlüsseldatei für den verwendeten Schlüssel neu.</translation>
    </message>
    <message>
        <source>The key file that encrypted the stored secrets (required). The key in use (HCM_SECRET_KEY, else HCM_SECRET_KEY_FILE, else this user&apos;s key file) becomes the new one.</source>
        <translation>Die Schlüsseldatei, mit der die gespeicherten Geheimnisse verschlüsselt wurden (erforderlich). Der verwendete Schlüssel (HCM_SECRET_KEY, sonst HCM_SECRET_KEY_FILE, sonst die Schlüsseldatei dieses Benutzers) wird der neue.</translation>
    </message>
    <message>
        <source>The payload on standard input is larger than the limit of %1 KiB (%2 bytes); nothing was enqueued.</source>
        <translation>Die Payload auf der Standardeingabe ist größer als das Limit von %1 KiB (%2 Bytes); es wurde nichts eingereiht.</translation>
    </message>
    <message>
        <source>The payload file %1 is larger than the limit of %2 KiB (%3 bytes); nothing was enqueued.</source>
        <translation>Die Payload-Datei %1 ist größer als das Limit von %2 KiB (%3 Bytes); es wurde nichts eingereiht.</translation>
    </message>
    <message>
        <source>Give a job type or --all, not both.</source>
        <translation>Geben Sie einen Jobtyp oder --all an, nicht beides.</translation>
    </message>
    <message>
        <source>Give the job type to %1, or --all.</source>
        <translation>Geben Sie den Jobtyp an, der %1 werden soll, oder --all.</translation>
    </message>
    <message>
        <source>pause</source>
        <translation>pausiert</translation>
    </message>
    <message>
        <source>resume</source>
        <translation>fortgesetzt</translation>
    </message>
    <message>
        <source>Write --all to %1 every job type.</source>
        <translation>Schreiben Sie --all, damit alle Jobtypen %1 werden.</translation>
    </message>
    <message>
        <source>every job type</source>
        <translation>alle Jobtypen</translation>
    </message>
    <message>
        <source>%1 was paused already (by %2 at %3)</source>
        <translation>%1 war bereits pausiert (von %2 am %3)</translation>
    </message>
    <message>
        <source>%1 was not paused</source>
        <translation>%1 war nicht pausiert</translation>
    </message>
    <message>
        <source>%1 paused: queued jobs wait, running ones finish; resume with &quot;hcmctl jobs resume %2&quot;</source>
        <translation>%1 pausiert: wartende Jobs warten, laufende werden beendet; fortsetzen mit „hcmctl jobs resume %2“</translation>
    </message>
    <message>
        <source>%1 resumed</source>
        <translation>%1 fortgesetzt</translation>
    </message>
    <message>
        <source>paused: %1 (by %2 at %3)</source>
        <translation>pausiert: %1 (von %2 am %3)</translation>
    </message>
    <message>
        <source>When: a cron expression such as &quot;0 3 * * *&quot; or @daily.</source>
        <translation>Wann: ein Cron-Ausdruck wie „0 3 * * *“ oder @daily.</translation>
    </message>
    <message>
        <source>EXPR</source>
        <translation>AUSDRUCK</translation>
    </message>
    <message>
        <source>The IANA time zone of the expression (default: this machine&apos;s).</source>
        <translation>Die IANA-Zeitzone des Ausdrucks (Standard: die dieses Rechners).</translation>
    </message>
    <message>
        <source>ZONE</source>
        <translation>ZONE</translation>
    </message>
    <message>
        <source>The payload of every job, a JSON object.</source>
        <translation>Die Payload jedes Jobs, ein JSON-Objekt.</translation>
    </message>
    <message>
        <source>skip (default: no job while the previous one is queued or running) or allow.</source>
        <translation>skip (Standard: kein Job, solange der vorige wartet oder läuft) oder allow.</translation>
    </message>
    <message>
        <source>POLICY</source>
        <translation>REGEL</translation>
    </message>
    <message>
        <source>run_once (default: one job for slots missed while no worker ran) or skip.</source>
        <translation>run_once (Standard: ein Job für Termine, die verpasst wurden, während kein Worker lief) oder skip.</translation>
    </message>
    <message>
        <source>A new name.</source>
        <translation>Ein neuer Name.</translation>
    </message>
    <message>
        <source>NAME</source>
        <translation>NAME</translation>
    </message>
    <message>
        <source>Create it switched off.</source>
        <translation>Ausgeschaltet anlegen.</translation>
    </message>
    <message>
        <source>Unknown overlap policy &quot;%1&quot;: use skip or allow.</source>
        <translation>Unbekannte Überlappungsregel „%1“: verwenden Sie skip oder allow.</translation>
    </message>
    <message>
        <source>Unknown missed-run policy &quot;%1&quot;: use run_once or skip.</source>
        <translation>Unbekannte Regel für verpasste Ausführungen „%1“: verwenden Sie run_once oder skip.</translation>
    </message>
    <message>
        <source>id</source>
        <translation>ID</translation>
    </message>
    <message>
        <source>name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>type</source>
        <translation>Typ</translation>
    </message>
    <message>
        <source>when</source>
        <translation>Wann</translation>
    </message>
    <message>
        <source>zone</source>
        <translation>Zeitzone</translation>
    </message>
    <message>
        <source>enabled</source>
        <translation>aktiviert</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>ja</translation>
    </message>
    <message>
        <source>no</source>
        <translation>nein</translation>
    </message>
    <message>
        <source>priority</source>
        <translation>Priorität</translation>
    </message>
    <message>
        <source>max retries</source>
        <translation>max. Wiederholungen</translation>
    </message>
    <message>
        <source>payload</source>
        <translation>Payload</translation>
    </message>
    <message>
        <source>overlap</source>
        <translation>Überlappung</translation>
    </message>
    <message>
        <source>missed runs</source>
        <translation>verpasste Ausführungen</translation>
    </message>
    <message>
        <source>next run</source>
        <translation>nächste Ausführung</translation>
    </message>
    <message>
        <source>last run</source>
        <translation>letzte Ausführung</translation>
    </message>
    <message>
        <source>created</source>
        <translation>erstellt</translation>
    </message>
    <message>
        <source>updated</source>
        <translation>geändert</translation>
    </message>
    <message>
        <source>next runs (%1, and local time):</source>
        <translation>nächste Ausführungen (%1 und Ortszeit):</translation>
    </message>
    <message>
        <source>A schedule needs --type and --cron.</source>
        <translation>Ein Zeitplan braucht --type und --cron.</translation>
    </message>
    <message>
        <source>No schedules.</source>
        <translation>Keine Zeitpläne.</translation>
    </message>
    <message>
        <source>CRON</source>
        <translation>CRON</translation>
    </message>
    <message>
        <source>WHEN</source>
        <translation>WANN</translation>
    </message>
    <message>
        <source>ENABLED</source>
        <translation>AKTIVIERT</translation>
    </message>
    <message>
        <source>NEXT RUN</source>
        <translation>NÄCHSTE AUSFÜHRUNG</translation>
    </message>
    <message>
        <source>LAST RUN</source>
        <translation>LETZTE AUSFÜHRUNG</translation>
    </message>
    <message>
        <source>ID|NAME</source>
        <translation>ID|NAME</translation>
    </message>
    <message>
        <source>The schedule&apos;s id or name.</source>
        <translation>ID oder Name des Zeitplans.</translation>
    </message>
    <message>
        <source>A unique name.</source>
        <translation>Ein eindeutiger Name.</translation>
    </message>
    <message>
        <source>Creates a recurring schedule and prints its id.</source>
        <translation>Legt einen wiederkehrenden Zeitplan an und gibt seine ID aus.</translation>
    </message>
    <message>
        <source>Lists the schedules with their next and last run.</source>
        <translation>Listet die Zeitpläne mit ihrer nächsten und letzten Ausführung auf.</translation>
    </message>
    <message>
        <source>Shows one schedule and its next five run times.</source>
        <translation>Zeigt einen Zeitplan und seine nächsten fünf Ausführungszeiten.</translation>
    </message>
    <message>
        <source>Changes the fields given; the next run is computed again.</source>
        <translation>Ändert die angegebenen Felder; die nächste Ausführung wird neu berechnet.</translation>
    </message>
    <message>
        <source>Switches a schedule on; its next run counts from now.</source>
        <translation>Schaltet einen Zeitplan ein; seine nächste Ausführung zählt ab jetzt.</translation>
    </message>
    <message>
        <source>Switches a schedule off at once, in every worker.</source>
        <translation>Schaltet einen Zeitplan sofort aus, in jedem Worker.</translation>
    </message>
    <message>
        <source>Makes one job of the schedule now and prints its id.</source>
        <translation>Erzeugt jetzt einen Job des Zeitplans und gibt seine ID aus.</translation>
    </message>
    <message>
        <source>Deletes a schedule (its jobs stay).</source>
        <translation>Löscht einen Zeitplan (seine Jobs bleiben erhalten).</translation>
    </message>
    <message>
        <source>Cannot read standard input: %1</source>
        <translation>Die Standardeingabe kann nicht gelesen werden: %1</translation>
    </message>
    <message>
        <source>The %1 on standard input is longer than the limit of %2 bytes; nothing was saved.</source>
        <translation>Der Wert von %1 auf der Standardeingabe ist länger als das Limit von %2 Bytes; nichts wurde gespeichert.</translation>
    </message>
    <message>
        <source>Give the key file that encrypted the stored secrets: --old-key-file PATH.</source>
        <translation>Geben Sie die Schlüsseldatei an, mit der die gespeicherten Geheimnisse verschlüsselt wurden: --old-key-file PATH.</translation>
    </message>
    <message>
        <source>No secret is stored: nothing to re-encrypt.</source>
        <translation>Es ist kein Geheimnis gespeichert: nichts neu zu verschlüsseln.</translation>
    </message>
    <message>
        <source>The stored secrets are already encrypted with the %1 (key id %2): nothing to do.</source>
        <translation>Die gespeicherten Geheimnisse sind bereits mit dem Schlüssel aus %1 verschlüsselt (Schlüssel-ID %2): nichts zu tun.</translation>
    </message>
    <message numerus="yes">
        <source>%n secret(s) re-encrypted for the %1 (key id %2), version %3.</source>
        <translation>
            <numerusform>%n Geheimnis für den Schlüssel aus %1 (Schlüssel-ID %2) neu verschlüsselt, Version %3.</numerusform>
            <numerusform>%n Geheimnisse für den Schlüssel aus %1 (Schlüssel-ID %2) neu verschlüsselt, Version %3.</numerusform>
        </translation>
    </message>
    <message>
        <source>
One job per line: job_type and status (queued, completed, failed or cancelled) are required; id (kept), priority, payload, result, error_message, retry_count, max_retries, attempts, run_at, created_at, started_at, completed_at (required for a finished job), created_by, worker_id, cancel_requested and progress are optional; attempt_history is ignored. Lines up to %1 MiB, payloads up to %2 KiB.
Every line is checked first: with any error (each reported with its line number) nothing is imported.
PostgreSQL: import as the owner role (new ids are moved past the imported ones).
</source>
        <translation>
Ein Job pro Zeile: job_type und status (queued, completed, failed oder cancelled) sind Pflicht; id (wird beibehalten), priority, payload, result, error_message, retry_count, max_retries, attempts, run_at, created_at, started_at, completed_at (Pflicht für einen beendeten Job), created_by, worker_id, cancel_requested und progress sind optional; attempt_history wird ignoriert. Zeilen bis %1 MiB, Payloads bis %2 KiB.
Jede Zeile wird zuerst geprüft: bei einem Fehler (jeder wird mit seiner Zeilennummer gemeldet) wird nichts importiert.
PostgreSQL: Importieren Sie mit der Eigentümerrolle (neue IDs werden hinter die importierten verschoben).
</translation>
    </message>
    <message>
        <source>FILE</source>
        <translation>DATEI</translation>
    </message>
    <message>
        <source>JSON lines, one job each as &quot;hcmctl --json jobs show&quot; prints it; - for standard input.</source>
        <translation>JSON-Zeilen, je ein Job, wie „hcmctl --json jobs show“ ihn ausgibt; - für die Standardeingabe.</translation>
    </message>
    <message>
        <source>Imports jobs (history from another system), keeping their ids; all or nothing.</source>
        <translation>Importiert Jobs (Verlauf aus einem anderen System) mit ihren IDs; alles oder nichts.</translation>
    </message>
    <message>
        <source>Cannot read %1: %2</source>
        <translation>%1 kann nicht gelesen werden: %2</translation>
    </message>
    <message>
        <source>Nothing was imported.</source>
        <translation>Nichts wurde importiert.</translation>
    </message>
    <message numerus="yes">
        <source>%n more line(s) with errors</source>
        <translation>
            <numerusform>%n weitere fehlerhafte Zeile</numerusform>
            <numerusform>%n weitere fehlerhafte Zeilen</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Nothing was imported: %n line(s) of %1 have errors.</source>
        <translation>
            <numerusform>Nichts wurde importiert: %n von %1 Zeilen ist fehlerhaft.</numerusform>
            <numerusform>Nichts wurde importiert: %n von %1 Zeilen sind fehlerhaft.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Imported %n job(s)</source>
        <translation>
            <numerusform>%n Job importiert</numerusform>
            <numerusform>%n Jobs importiert</numerusform>
        </translation>
    </message>
    <message>
        <source>Only the jobs this schedule made (id or name).</source>
        <translation>Nur die Jobs, die dieser Zeitplan erstellt hat (ID oder Name).</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a schedule; write its id or its name.</source>
        <translation>„%1“ ist kein Zeitplan; geben Sie seine ID oder seinen Namen an.</translation>
    </message>
    <message>
        <source>There is no schedule named &quot;%1&quot;.</source>
        <translation>Es gibt keinen Zeitplan namens „%1“.</translation>
    </message>
    <message>
        <source>One or more job ids, as job_12 or 12 (none with --all).</source>
        <translation>Eine oder mehrere Job-IDs, als job_12 oder 12 (keine mit --all).</translation>
    </message>
    <message>
        <source>Cancels queued jobs; asks running ones to stop. --all: every queued job the filters select.</source>
        <translation>Bricht wartende Jobs ab; fordert laufende zum Anhalten auf. --all: jeder wartende Job, den die Filter auswählen.</translation>
    </message>
    <message>
        <source>Every job the filters select instead of ids, in batches.</source>
        <translation>Alle von den Filtern ausgewählten Jobs statt IDs, in Stapeln.</translation>
    </message>
    <message>
        <source>With --all: only these statuses (comma-separated).</source>
        <translation>Mit --all: nur diese Status (kommagetrennt).</translation>
    </message>
    <message>
        <source>With --all: only this job type.</source>
        <translation>Mit --all: nur dieser Jobtyp.</translation>
    </message>
    <message>
        <source>With --all: match the id, type or error text.</source>
        <translation>Mit --all: ID, Typ oder Fehlertext abgleichen.</translation>
    </message>
    <message>
        <source>With --all: only the jobs this schedule made (id or name).</source>
        <translation>Mit --all: nur die Jobs, die dieser Zeitplan erzeugt hat (ID oder Name).</translation>
    </message>
    <message>
        <source>With --all: only count the matching jobs.</source>
        <translation>Mit --all: die passenden Jobs nur zählen.</translation>
    </message>
    <message>
        <source>Queues failed or cancelled jobs again, now. --all: every failed job the filters select.</source>
        <translation>Stellt fehlgeschlagene oder abgebrochene Jobs jetzt erneut in die Warteschlange. --all: jeder fehlgeschlagene Job, den die Filter auswählen.</translation>
    </message>
    <message>
        <source>Deletes finished jobs and their attempts. --all: every finished job the filters select.</source>
        <translation>Löscht beendete Jobs und ihre Versuche. --all: jeder beendete Job, den die Filter auswählen.</translation>
    </message>
    <message>
        <source>With --all: only jobs finished more than N days ago.</source>
        <translation>Mit --all: nur Jobs, die vor mehr als N Tagen beendet wurden.</translation>
    </message>
    <message>
        <source>DAYS</source>
        <translation>TAGE</translation>
    </message>
    <message>
        <source>Give job ids or --all with filters, not both.</source>
        <translation>Geben Sie Job-IDs oder --all mit Filtern an, nicht beides.</translation>
    </message>
    <message>
        <source>%1 jobs match.</source>
        <extracomment>hcmctl jobs cancel|retry|delete --all --dry-run</extracomment>
        <translation>%1 Jobs passen.</translation>
    </message>
    <message>
        <source>Cancelled %1 of %2 matching jobs.</source>
        <translation>%1 von %2 passenden Jobs abgebrochen.</translation>
    </message>
    <message>
        <source>Queued %1 of %2 matching jobs for retry.</source>
        <translation>%1 von %2 passenden Jobs zur Wiederholung eingereiht.</translation>
    </message>
    <message>
        <source>Deleted %1 of %2 matching jobs.</source>
        <translation>%1 von %2 passenden Jobs gelöscht.</translation>
    </message>
    <message>
        <source>%1 had changed meanwhile and were left alone (%2).</source>
        <translation>%1 hatten sich inzwischen geändert und wurden nicht angetastet (%2).</translation>
    </message>
    <message>
        <source>%1 is missing: ID (or --all with --status, --type, --search, --schedule)</source>
        <extracomment>%1 is the command, &quot;jobs cancel&quot;</extracomment>
        <translation>%1 fehlt: ID (oder --all mit --status, --type, --search, --schedule)</translation>
    </message>
    <message>
        <source>--user is required: the user the token acts as.</source>
        <translation>--user ist Pflicht: der Benutzer, als der das Token handelt.</translation>
    </message>
    <message>
        <source>--name is required: what the token is for, e.g. &quot;HR backend&quot;.</source>
        <translation>--name ist Pflicht: wofür das Token ist, z. B. „HR backend“.</translation>
    </message>
    <message>
        <source>--expires takes a duration such as 90d, 12h, 30m or 2w; &quot;%1&quot; was given.</source>
        <translation>--expires erwartet eine Dauer wie 90d, 12h, 30m oder 2w; angegeben wurde „%1“.</translation>
    </message>
    <message>
        <source>Token %1 for %2 created. It is shown only now: store it where the client reads it.</source>
        <translation>Token %1 für %2 erstellt. Es wird nur jetzt angezeigt: speichern Sie es dort, wo der Client es liest.</translation>
    </message>
    <message>
        <source>active</source>
        <translation>aktiv</translation>
    </message>
    <message>
        <source>revoked</source>
        <translation>widerrufen</translation>
    </message>
    <message>
        <source>expired</source>
        <translation>abgelaufen</translation>
    </message>
    <message>
        <source>TOKEN</source>
        <translation>TOKEN</translation>
    </message>
    <message>
        <source>USER</source>
        <translation>BENUTZER</translation>
    </message>
    <message>
        <source>STATE</source>
        <translation>ZUSTAND</translation>
    </message>
    <message>
        <source>EXPIRES</source>
        <translation>LÄUFT AB</translation>
    </message>
    <message>
        <source>LAST USED</source>
        <translation>ZULETZT VERWENDET</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a token id; &quot;hcmctl tokens list&quot; shows them.</source>
        <translation>„%1“ ist keine Token-ID; „hcmctl tokens list“ zeigt sie an.</translation>
    </message>
    <message>
        <source>Token %1 revoked.</source>
        <translation>Token %1 widerrufen.</translation>
    </message>
    <message>
        <source>Creates an API token for a user and prints it (once).</source>
        <translation>Erstellt ein API-Token für einen Benutzer und gibt es (einmalig) aus.</translation>
    </message>
    <message>
        <source>The user the token acts as (its role applies).</source>
        <translation>Der Benutzer, als der das Token handelt (seine Rolle gilt).</translation>
    </message>
    <message>
        <source>What the token is for, e.g. &quot;HR backend&quot;.</source>
        <translation>Wofür das Token ist, z. B. „HR backend“.</translation>
    </message>
    <message>
        <source>Expires after 90d, 12h, 30m, 2w (default: never).</source>
        <translation>Läuft ab nach 90d, 12h, 30m, 2w (Standard: nie).</translation>
    </message>
    <message>
        <source>DURATION</source>
        <translation>DAUER</translation>
    </message>
    <message>
        <source>Requests per minute per endpoint for this token, instead of the server&apos;s limits.</source>
        <translation>Anfragen pro Minute und Endpunkt für dieses Token, statt der Limits des Servers.</translation>
    </message>
    <message>
        <source>Lists the API tokens (never the tokens themselves).</source>
        <translation>Listet die API-Token auf (nie die Token selbst).</translation>
    </message>
    <message>
        <source>The token&apos;s id (hcmctl tokens list).</source>
        <translation>Die ID des Tokens (hcmctl tokens list).</translation>
    </message>
    <message>
        <source>Revokes an API token at once, in every API server.</source>
        <translation>Widerruft ein API-Token sofort, in jedem API-Server.</translation>
    </message>
    <message>
        <source>Unknown role &quot;%1&quot;: use viewer, operator or systemadmin.</source>
        <translation>Unbekannte Rolle „%1“: verwenden Sie viewer, operator oder systemadmin.</translation>
    </message>
    <message>
        <source>disabled</source>
        <translation>deaktiviert</translation>
    </message>
    <message>
        <source>DISPLAY NAME</source>
        <translation>ANZEIGENAME</translation>
    </message>
    <message>
        <source>ROLE</source>
        <translation>ROLLE</translation>
    </message>
    <message>
        <source>CHANGED</source>
        <translation>GEÄNDERT</translation>
    </message>
    <message>
        <source>BY</source>
        <translation>VON</translation>
    </message>
    <message>
        <source>Added %1 as %2.</source>
        <translation>%1 als %2 hinzugefügt.</translation>
    </message>
    <message>
        <source>%1 is now %2.</source>
        <translation>%1 ist jetzt %2.</translation>
    </message>
    <message>
        <source>%1 is disabled.</source>
        <translation>%1 ist deaktiviert.</translation>
    </message>
    <message>
        <source>%1 is enabled.</source>
        <translation>%1 ist aktiviert.</translation>
    </message>
    <message>
        <source>AT</source>
        <translation>ZEIT</translation>
    </message>
    <message>
        <source>ACTOR</source>
        <translation>AKTEUR</translation>
    </message>
    <message>
        <source>VIA</source>
        <translation>ÜBER</translation>
    </message>
    <message>
        <source>ACTION</source>
        <translation>AKTION</translation>
    </message>
    <message>
        <source>TARGET</source>
        <translation>ZIEL</translation>
    </message>
    <message>
        <source>CHANGES</source>
        <translation>ÄNDERUNGEN</translation>
    </message>
    <message>
        <source>The user: the OS user name (SQLite) or the database login (PostgreSQL).</source>
        <translation>Der Benutzer: der Betriebssystem-Benutzername (SQLite) oder die Datenbankanmeldung (PostgreSQL).</translation>
    </message>
    <message>
        <source>Lists the users with their role (system administrators only).</source>
        <translation>Listet die Benutzer mit ihrer Rolle auf (nur Systemadministratoren).</translation>
    </message>
    <message>
        <source>Adds a user with a role (viewer, operator or systemadmin).</source>
        <translation>Fügt einen Benutzer mit einer Rolle hinzu (viewer, operator oder systemadmin).</translation>
    </message>
    <message>
        <source>viewer, operator or systemadmin (default viewer).</source>
        <translation>viewer, operator oder systemadmin (Standard: viewer).</translation>
    </message>
    <message>
        <source>The name shown in the status bar and the audit trail.</source>
        <translation>Der Name, der in der Statusleiste und im Audit-Protokoll angezeigt wird.</translation>
    </message>
    <message>
        <source>NAME ROLE</source>
        <translation>NAME ROLLE</translation>
    </message>
    <message>
        <source>The user and the new role (viewer, operator or systemadmin).</source>
        <translation>Der Benutzer und die neue Rolle (viewer, operator oder systemadmin).</translation>
    </message>
    <message>
        <source>Changes a user&apos;s role; the last system administrator keeps theirs.</source>
        <translation>Ändert die Rolle eines Benutzers; der letzte Systemadministrator behält seine.</translation>
    </message>
    <message>
        <source>Disables a user (kept for the audit trail); never the last system administrator.</source>
        <translation>Deaktiviert einen Benutzer (bleibt für das Audit-Protokoll erhalten); nie den letzten Systemadministrator.</translation>
    </message>
    <message>
        <source>Enables a disabled user again.</source>
        <translation>Aktiviert einen deaktivierten Benutzer wieder.</translation>
    </message>
    <message>
        <source>Lists the audit trail, newest first (system administrators only).</source>
        <translation>Listet das Audit-Protokoll auf, neueste zuerst (nur Systemadministratoren).</translation>
    </message>
    <message>
        <source>Only what this user did.</source>
        <translation>Nur, was dieser Benutzer getan hat.</translation>
    </message>
    <message>
        <source>Only this action (jobs.cancel) or family (jobs.).</source>
        <translation>Nur diese Aktion (jobs.cancel) oder Familie (jobs.).</translation>
    </message>
    <message>
        <source>Only rows about this object: job_12, user:bob, settings.</source>
        <translation>Nur Zeilen zu diesem Objekt: job_12, user:bob, settings.</translation>
    </message>
    <message>
        <source>From this time on (ISO 8601).</source>
        <translation>Ab diesem Zeitpunkt (ISO 8601).</translation>
    </message>
    <message>
        <source>Before this time (ISO 8601).</source>
        <translation>Vor diesem Zeitpunkt (ISO 8601).</translation>
    </message>
    <message>
        <source>Rows whose actor, action, targets or changes contain TEXT.</source>
        <translation>Zeilen, deren Akteur, Aktion, Ziele oder Änderungen TEXT enthalten.</translation>
    </message>
    <message>
        <source>At most N rows (default 50).</source>
        <translation>Höchstens N Zeilen (Standard 50).</translation>
    </message>
    <message>
        <source>Print CSV (RFC 4180) instead of a table.</source>
        <translation>CSV (RFC 4180) statt einer Tabelle ausgeben.</translation>
    </message>
</context>
<context>
    <name>hcm::ui::AuditHistoryDialog</name>
    <message>
        <source>History</source>
        <translation>Verlauf</translation>
    </message>
    <message>
        <source>Nobody has acted on it yet.</source>
        <translation>Bisher hat niemand etwas damit getan.</translation>
    </message>
</context>
<context>
    <name>hcm::ui::AuditPage</name>
    <message>
        <source>User</source>
        <translation>Benutzer</translation>
    </message>
    <message>
        <source>Any user</source>
        <translation>Alle Benutzer</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>Aktion</translation>
    </message>
    <message>
        <source>Any action</source>
        <translation>Alle Aktionen</translation>
    </message>
    <message>
        <source>An action (&quot;jobs.cancel&quot;) or a family of actions ending in a dot (&quot;jobs.&quot;)</source>
        <translation>Eine Aktion („jobs.cancel“) oder eine Familie von Aktionen, die auf einen Punkt endet („jobs.“)</translation>
    </message>
    <message>
        <source>Target type</source>
        <translation>Zieltyp</translation>
    </message>
    <message>
        <source>Any target</source>
        <extracomment>target type filter of the audit page: no restriction</extracomment>
        <translation>Alle Ziele</translation>
    </message>
    <message>
        <source>Job</source>
        <translation>Job</translation>
    </message>
    <message>
        <source>Job type</source>
        <translation>Jobtyp</translation>
    </message>
    <message>
        <source>Schedule</source>
        <translation>Zeitplan</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>Einstellungen</translation>
    </message>
    <message>
        <source>Worker</source>
        <translation>Worker</translation>
    </message>
    <message>
        <source>Audit trail</source>
        <translation>Audit-Protokoll</translation>
    </message>
    <message>
        <source>Target ID</source>
        <translation>Ziel-ID</translation>
    </message>
    <message>
        <source>ID</source>
        <translation>ID</translation>
    </message>
    <message>
        <source>The rows about one object (with a target type): a job&apos;s number, a user&apos;s name</source>
        <translation>Die Zeilen zu einem Objekt (mit Zieltyp): die Nummer eines Jobs, der Name eines Benutzers</translation>
    </message>
    <message>
        <source>&amp;From</source>
        <translation>&amp;Von</translation>
    </message>
    <message>
        <source>From</source>
        <translation>Von</translation>
    </message>
    <message>
        <source>&amp;To</source>
        <translation>&amp;Bis</translation>
    </message>
    <message>
        <source>To</source>
        <translation>Bis</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>Suchen</translation>
    </message>
    <message>
        <source>Search users, actions, targets and changes</source>
        <translation>Benutzer, Aktionen, Ziele und Änderungen durchsuchen</translation>
    </message>
    <message>
        <source>C&amp;lear Filters</source>
        <translation>Filter &amp;leeren</translation>
    </message>
    <message>
        <source>&amp;Export CSV…</source>
        <translation>CSV &amp;exportieren…</translation>
    </message>
    <message>
        <source>Writes every row the filters match to a CSV file</source>
        <translation>Schreibt alle Zeilen, die zu den Filtern passen, in eine CSV-Datei</translation>
    </message>
    <message>
        <source>User:</source>
        <translation>Benutzer:</translation>
    </message>
    <message>
        <source>Action:</source>
        <translation>Aktion:</translation>
    </message>
    <message>
        <source>Target:</source>
        <translation>Ziel:</translation>
    </message>
    <message>
        <source>Entry details</source>
        <translation>Eintragsdetails</translation>
    </message>
    <message>
        <source>Select a row to see everything it recorded.</source>
        <translation>Wählen Sie eine Zeile aus, um alles zu sehen, was sie erfasst hat.</translation>
    </message>
    <message>
        <source>Exporting… %1 rows written</source>
        <translation>Exportieren… %1 Zeilen geschrieben</translation>
    </message>
    <message numerus="yes">
        <source>Exported %n rows to %1.</source>
        <translation>
            <numerusform>%n Zeile nach %1 exportiert.</numerusform>
            <numerusform>%n Zeilen nach %1 exportiert.</numerusform>
        </translation>
    </message>
    <message>
        <source>The export was cancelled.</source>
        <translation>Der Export wurde abgebrochen.</translation>
    </message>
    <message>
        <source>The export failed: %1</source>
        <translation>Der Export ist fehlgeschlagen: %1</translation>
    </message>
    <message>
        <source>The end of the time range must be after its start.</source>
        <translation>Das Ende des Zeitraums muss nach seinem Anfang liegen.</translation>
    </message>
    <message>
        <source>#%1 at %2</source>
        <translation>#%1 um %2</translation>
    </message>
    <message>
        <source>User: %1 (%2), via %3</source>
        <translation>Benutzer: %1 (%2), über %3</translation>
    </message>
    <message>
        <source>from %1</source>
        <translation>von %1</translation>
    </message>
    <message>
        <source>Action: %1 — %2</source>
        <translation>Aktion: %1 — %2</translation>
    </message>
    <message>
        <source>Target: %1 %2</source>
        <translation>Ziel: %1 %2</translation>
    </message>
    <message>
        <source>Changes:</source>
        <translation>Änderungen:</translation>
    </message>
    <message>
        <source>Export Audit Trail</source>
        <translation>Audit-Protokoll exportieren</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>CSV-Dateien (*.csv)</translation>
    </message>
    <message>
        <source>audit-%1.csv</source>
        <extracomment>default file name of an audit export; %1 is the date</extracomment>
        <translation>audit-%1.csv</translation>
    </message>
    <message>
        <source>An export is running already.</source>
        <translation>Es läuft bereits ein Export.</translation>
    </message>
    <message>
        <source>Exporting…</source>
        <translation>Exportieren…</translation>
    </message>
</context>
<context>
    <name>hcm::ui::ChannelTestWidget</name>
    <message>
        <source>Send test email</source>
        <translation>Test-E-Mail senden</translation>
    </message>
    <message>
        <source>Send test SMS</source>
        <translation>Test-SMS senden</translation>
    </message>
    <message>
        <source>Send test Slack message</source>
        <translation>Slack-Testnachricht senden</translation>
    </message>
    <message>
        <source>%1 ms</source>
        <extracomment>latency of a delivery in milliseconds</extracomment>
        <translation>%1 ms</translation>
    </message>
    <message>
        <source>Send the test message to this address instead of the first admin recipient</source>
        <translation>Die Testnachricht an diese Adresse statt an den ersten Admin-Empfänger senden</translation>
    </message>
    <message>
        <source>Send the test message to this number instead of the first SMS recipient</source>
        <translation>Die Testnachricht an diese Nummer statt an den ersten SMS-Empfänger senden</translation>
    </message>
    <message>
        <source>Recipient address</source>
        <translation>Empfängeradresse</translation>
    </message>
    <message>
        <source>Recipient number (+14155550123)</source>
        <translation>Empfängernummer (+14155550123)</translation>
    </message>
    <message>
        <source>%1 (default)</source>
        <extracomment>placeholder of the test recipient field; %1 is the first configured recipient</extracomment>
        <translation>%1 (Standard)</translation>
    </message>
    <message>
        <source>Sending…</source>
        <translation>Wird gesendet…</translation>
    </message>
    <message>
        <source>Sending a test message…</source>
        <extracomment>shown while a test message is on its way</extracomment>
        <translation>Testnachricht wird gesendet…</translation>
    </message>
    <message>
        <source>Delivered to %1 in %2.</source>
        <extracomment>%1 recipient, %2 latency (&quot;38 ms&quot;)</extracomment>
        <translation>Zugestellt an %1 in %2.</translation>
    </message>
    <message>
        <source>Failed for %1 after %2: %3</source>
        <extracomment>%1 recipient, %2 latency, %3 the reason</extracomment>
        <translation>Fehlgeschlagen für %1 nach %2: %3</translation>
    </message>
    <message>
        <source>Response: %1</source>
        <extracomment>the provider&apos;s answer to a test message (&quot;250 2.0.0 Ok: queued&quot;)</extracomment>
        <translation>Antwort: %1</translation>
    </message>
    <message>
        <source>Test email recipient</source>
        <translation>Test-E-Mail-Empfänger</translation>
    </message>
    <message>
        <source>Test SMS recipient</source>
        <translation>Test-SMS-Empfänger</translation>
    </message>
</context>
<context>
    <name>hcm::ui::DeliveryLogView</name>
    <message>
        <source>Email</source>
        <translation>E-Mail</translation>
    </message>
    <message>
        <source>SMS</source>
        <translation>SMS</translation>
    </message>
    <message>
        <source>Slack</source>
        <translation>Slack</translation>
    </message>
    <message>
        <source>Job failed</source>
        <translation>Job fehlgeschlagen</translation>
    </message>
    <message>
        <source>Job succeeded</source>
        <translation>Job erfolgreich</translation>
    </message>
    <message>
        <source>Job retried</source>
        <translation>Job wiederholt</translation>
    </message>
    <message>
        <source>Worker lost</source>
        <translation>Worker verloren</translation>
    </message>
    <message>
        <source>Test message</source>
        <translation>Testnachricht</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>Zeit</translation>
    </message>
    <message>
        <source>Channel</source>
        <translation>Kanal</translation>
    </message>
    <message>
        <source>Recipient</source>
        <translation>Empfänger</translation>
    </message>
    <message>
        <source>Event</source>
        <translation>Ereignis</translation>
    </message>
    <message>
        <source>Outcome</source>
        <translation>Ergebnis</translation>
    </message>
    <message>
        <source>Latency</source>
        <translation>Latenz</translation>
    </message>
    <message>
        <source>Provider response</source>
        <translation>Antwort des Anbieters</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Wird geladen…</translation>
    </message>
    <message>
        <source>The notifications could not be loaded: %1</source>
        <extracomment>%1 is the database&apos;s error message</extracomment>
        <translation>Die Benachrichtigungen konnten nicht geladen werden: %1</translation>
    </message>
    <message>
        <source>No notifications were sent about this job.</source>
        <translation>Zu diesem Job wurden keine Benachrichtigungen gesendet.</translation>
    </message>
    <message>
        <source>Delivered</source>
        <translation>Zugestellt</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>Fehlgeschlagen</translation>
    </message>
    <message>
        <source>%1 ms</source>
        <extracomment>latency of a delivery in milliseconds</extracomment>
        <translation>%1 ms</translation>
    </message>
    <message>
        <source>%1
%2
%3</source>
        <extracomment>tooltip of a delivery row: date and time, then the provider&apos;s answer and the error</extracomment>
        <translation>%1
%2
%3</translation>
    </message>
    <message>
        <source>Alert digest</source>
        <extracomment>a delivery that carried a digest of several alerts</extracomment>
        <translation>Zusammenfassung der Warnungen</translation>
    </message>
    <message>
        <source>Notifications sent</source>
        <translation>Gesendete Benachrichtigungen</translation>
    </message>
</context>
<context>
    <name>hcm::ui::JobDetailsDialog</name>
    <message>
        <source>Job %1</source>
        <extracomment>window title; %1 is the job id, &quot;job_12&quot;</extracomment>
        <translation>Job %1</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Wird geladen…</translation>
    </message>
    <message>
        <source>&amp;History…</source>
        <translation>&amp;Verlauf…</translation>
    </message>
    <message>
        <source>Who did what to this job, from the audit trail</source>
        <translation>Wer was mit diesem Job getan hat, laut Audit-Protokoll</translation>
    </message>
    <message>
        <source>History of %1</source>
        <extracomment>window title; %1 is the job id, &quot;job_12&quot;</extracomment>
        <translation>Verlauf von %1</translation>
    </message>
</context>
<context>
    <name>hcm::ui::JobDetailsView</name>
    <message>
        <source>Completed</source>
        <translation>Abgeschlossen</translation>
    </message>
    <message>
        <source>Timed out</source>
        <translation>Zeitüberschreitung</translation>
    </message>
    <message>
        <source>Lost</source>
        <extracomment>the worker running the attempt stopped responding</extracomment>
        <translation>Verloren</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>Abgebrochen</translation>
    </message>
    <message>
        <source>Interrupted</source>
        <extracomment>stopped by a worker shutdown, requeued without spending a retry</extracomment>
        <translation>Unterbrochen</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>Fehlgeschlagen</translation>
    </message>
    <message>
        <source>Priority:</source>
        <translation>Priorität:</translation>
    </message>
    <message>
        <source>Attempts:</source>
        <translation>Versuche:</translation>
    </message>
    <message>
        <source>Retries used:</source>
        <translation>Verbrauchte Wiederholungen:</translation>
    </message>
    <message>
        <source>Duration:</source>
        <translation>Dauer:</translation>
    </message>
    <message>
        <source>Created:</source>
        <translation>Erstellt:</translation>
    </message>
    <message>
        <source>Run at:</source>
        <translation>Ausführen um:</translation>
    </message>
    <message>
        <source>Started:</source>
        <translation>Gestartet:</translation>
    </message>
    <message>
        <source>Worker:</source>
        <translation>Worker:</translation>
    </message>
    <message>
        <source>Created by:</source>
        <translation>Erstellt von:</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>Fehler</translation>
    </message>
    <message>
        <source>Retries</source>
        <translation>Wiederholungen</translation>
    </message>
    <message>
        <source>#</source>
        <translation>#</translation>
    </message>
    <message>
        <source>Worker</source>
        <translation>Worker</translation>
    </message>
    <message>
        <source>Started</source>
        <translation>Gestartet</translation>
    </message>
    <message>
        <source>Finished</source>
        <translation>Beendet</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>Dauer</translation>
    </message>
    <message>
        <source>Outcome</source>
        <translation>Ergebnis</translation>
    </message>
    <message>
        <source>Attempts</source>
        <translation>Versuche</translation>
    </message>
    <message>
        <source>Notifications</source>
        <translation>Benachrichtigungen</translation>
    </message>
    <message>
        <source>Payload</source>
        <translation>Payload</translation>
    </message>
    <message>
        <source>Result</source>
        <translation>Ergebnis</translation>
    </message>
    <message>
        <source>No job selected.</source>
        <translation>Kein Job ausgewählt.</translation>
    </message>
    <message>
        <source>—</source>
        <translation>—</translation>
    </message>
    <message>
        <source>%1 · %2</source>
        <extracomment>job id · job type</extracomment>
        <translation>%1 · %2</translation>
    </message>
    <message>
        <source>%1 (running)</source>
        <translation>%1 (läuft)</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <extracomment>A job&apos;s schedule: %1 its name, %2 its id (&quot;#7&quot;)</extracomment>
        <translation>%1 (%2)</translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation>%1 von %2</translation>
    </message>
    <message>
        <source>No result.</source>
        <translation>Kein Ergebnis.</translation>
    </message>
    <message>
        <source>No result yet.</source>
        <translation>Noch kein Ergebnis.</translation>
    </message>
    <message>
        <source>Running</source>
        <translation>Läuft</translation>
    </message>
    <message>
        <source>%1 – %2
%3</source>
        <extracomment>tooltip of an attempt&apos;s row: start and end with dates, then the error</extracomment>
        <translation>%1 – %2
%3</translation>
    </message>
    <message>
        <source>#%1 %2</source>
        <translation>#%1 %2</translation>
    </message>
    <message>
        <source>#%1 %2 at %3</source>
        <translation>#%1 %2 um %3</translation>
    </message>
    <message>
        <source>#%1 running</source>
        <translation>#%1 läuft</translation>
    </message>
    <message>
        <source>since %1</source>
        <translation>seit %1</translation>
    </message>
    <message>
        <source>#%1 running since %2</source>
        <translation>#%1 läuft seit %2</translation>
    </message>
    <message>
        <source>Attempt %1 is running; it is the last one.</source>
        <translation>Versuch %1 läuft; es ist der letzte.</translation>
    </message>
    <message>
        <source>Attempt %1 is running. If it fails, the next attempt is %2.</source>
        <translation>Versuch %1 läuft. Schlägt er fehl, folgt der nächste Versuch %2.</translation>
    </message>
    <message>
        <source>now</source>
        <translation>jetzt</translation>
    </message>
    <message>
        <source>Retrying: the next attempt is %1 (at %2); retries left after it: %3.</source>
        <translation>Wiederholung: der nächste Versuch ist %1 (um %2); danach verbleibende Wiederholungen: %3.</translation>
    </message>
    <message>
        <source>Waiting for a worker: the first attempt is %1.</source>
        <translation>Wartet auf einen Worker: der erste Versuch ist %1.</translation>
    </message>
    <message>
        <source>end</source>
        <extracomment>the end mark of the retry timeline of a failed job</extracomment>
        <translation>Ende</translation>
    </message>
    <message>
        <source>Failed without retrying (the error is not retryable).</source>
        <translation>Ohne Wiederholung fehlgeschlagen (der Fehler ist nicht wiederholbar).</translation>
    </message>
    <message>
        <source>Cancelled: no further attempts.</source>
        <translation>Abgebrochen: keine weiteren Versuche.</translation>
    </message>
    <message>
        <source>#%1 … #%2</source>
        <translation>#%1 … #%2</translation>
    </message>
    <message>
        <source>#%1</source>
        <translation>#%1</translation>
    </message>
    <message>
        <source>next attempt %1</source>
        <extracomment>a predicted attempt of a failing job; %1 is &quot;in 4 min&quot;</extracomment>
        <translation>nächster Versuch %1</translation>
    </message>
    <message>
        <source>then %1</source>
        <translation>dann %1</translation>
    </message>
    <message>
        <source>Not started</source>
        <extracomment>claimed by a worker that died before the job started; requeued without spending a retry</extracomment>
        <translation>Nicht gestartet</translation>
    </message>
    <message>
        <source>No retries left; attempts: %1.</source>
        <extracomment>%1 is the attempts: &quot;4 of 4&quot;, &quot;6 in all&quot;</extracomment>
        <translation>Keine Wiederholungen übrig; Versuche: %1.</translation>
    </message>
    <message>
        <source>Completed on attempt %1.</source>
        <translation>Beim %1. Versuch abgeschlossen.</translation>
    </message>
    <message>
        <source>Schedule:</source>
        <translation>Zeitplan:</translation>
    </message>
</context>
<context>
    <name>hcm::ui::JobsPage</name>
    <message>
        <source>Action failed</source>
        <translation>Aktion fehlgeschlagen</translation>
    </message>
    <message>
        <source>All types</source>
        <translation>Alle Typen</translation>
    </message>
    <message>
        <source>&amp;Status</source>
        <translation>&amp;Status</translation>
    </message>
    <message>
        <source>&amp;Type</source>
        <translation>&amp;Typ</translation>
    </message>
    <message>
        <source>Last hour</source>
        <translation>Letzte Stunde</translation>
    </message>
    <message>
        <source>Search by ID, type or error text</source>
        <translation>Nach ID, Typ oder Fehlertext suchen</translation>
    </message>
    <message>
        <source>New Job…</source>
        <translation>Neuer Job…</translation>
    </message>
    <message>
        <source>Refresh now (F5)</source>
        <translation>Jetzt aktualisieren (F5)</translation>
    </message>
    <message>
        <source>Cancel Jobs</source>
        <translation>Jobs abbrechen</translation>
    </message>
    <message>
        <source>Not possible: %1.</source>
        <translation>Nicht möglich: %1.</translation>
    </message>
    <message>
        <source>Not possible for any selected job: %1.</source>
        <translation>Für keinen ausgewählten Job möglich: %1.</translation>
    </message>
    <message>
        <source>&amp;Cancel</source>
        <extracomment>keyboard shortcut of &quot;Cancel&quot; in the Job menu; K as in &quot;kill&quot;</extracomment>
        <translation>&amp;Abbrechen</translation>
    </message>
    <message numerus="yes">
        <source>&amp;Cancel %n Jobs</source>
        <translation>
            <numerusform>%n Job &amp;abbrechen</numerusform>
            <numerusform>%n Jobs &amp;abbrechen</numerusform>
        </translation>
    </message>
    <message>
        <source>&amp;Retry Now</source>
        <translation>Jetzt &amp;wiederholen</translation>
    </message>
    <message numerus="yes">
        <source>&amp;Retry %n Jobs Now</source>
        <translation>
            <numerusform>%n Job jetzt &amp;wiederholen</numerusform>
            <numerusform>%n Jobs jetzt &amp;wiederholen</numerusform>
        </translation>
    </message>
    <message>
        <source>D&amp;uplicate as New Job…</source>
        <translation>Als neuen Job d&amp;uplizieren…</translation>
    </message>
    <message numerus="yes">
        <source>D&amp;uplicate %n Jobs</source>
        <translation>
            <numerusform>%n Job d&amp;uplizieren</numerusform>
            <numerusform>%n Jobs d&amp;uplizieren</numerusform>
        </translation>
    </message>
    <message>
        <source>Show &amp;Details</source>
        <translation>&amp;Details anzeigen</translation>
    </message>
    <message>
        <source>Select a single job to see its details.</source>
        <translation>Wählen Sie einen einzelnen Job aus, um seine Details zu sehen.</translation>
    </message>
    <message>
        <source>Copy &amp;ID</source>
        <translation>&amp;ID kopieren</translation>
    </message>
    <message numerus="yes">
        <source>Copy %n &amp;IDs</source>
        <translation>
            <numerusform>%n &amp;ID kopieren</numerusform>
            <numerusform>%n &amp;IDs kopieren</numerusform>
        </translation>
    </message>
    <message>
        <source>ID</source>
        <translation>ID</translation>
    </message>
    <message>
        <source>Copy &amp;Payload</source>
        <translation>&amp;Payload kopieren</translation>
    </message>
    <message>
        <source>Select a single job to copy its payload.</source>
        <translation>Wählen Sie einen einzelnen Job aus, um seine Payload zu kopieren.</translation>
    </message>
    <message>
        <source>payload</source>
        <translation>Payload</translation>
    </message>
    <message>
        <source>De&amp;lete</source>
        <translation>&amp;Löschen</translation>
    </message>
    <message numerus="yes">
        <source>De&amp;lete %n Jobs</source>
        <translation>
            <numerusform>%n Job &amp;löschen</numerusform>
            <numerusform>%n Jobs &amp;löschen</numerusform>
        </translation>
    </message>
    <message>
        <source>Confirm</source>
        <translation>Bestätigen</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message numerus="yes">
        <source>Cancel %n jobs? Queued jobs stop at once; running jobs are asked to stop.</source>
        <translation>
            <numerusform>%n Job abbrechen? Wartende Jobs halten sofort an; laufende Jobs werden gebeten anzuhalten.</numerusform>
            <numerusform>%n Jobs abbrechen? Wartende Jobs halten sofort an; laufende Jobs werden gebeten anzuhalten.</numerusform>
        </translation>
    </message>
    <message>
        <source>Retry</source>
        <translation>Wiederholen</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Löschen</translation>
    </message>
    <message>
        <source>Created %1.</source>
        <translation>%1 angelegt.</translation>
    </message>
    <message>
        <source>Duplicate</source>
        <translation>Duplizieren</translation>
    </message>
    <message numerus="yes">
        <source>Created %n job(s).</source>
        <translation>
            <numerusform>%n Job angelegt.</numerusform>
            <numerusform>%n Jobs angelegt.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1: done for %n job(s).</source>
        <translation>
            <numerusform>%1: für %n Job erledigt.</numerusform>
            <numerusform>%1: für %n Jobs erledigt.</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 not possible</source>
        <translation>%1 nicht möglich</translation>
    </message>
    <message numerus="yes">
        <source>%n job(s) could not be changed:</source>
        <translation>
            <numerusform>%n Job konnte nicht geändert werden:</numerusform>
            <numerusform>%n Jobs konnten nicht geändert werden:</numerusform>
        </translation>
    </message>
    <message>
        <source>Copied the %1 to the clipboard.</source>
        <translation>%1 in die Zwischenablage kopiert.</translation>
    </message>
    <message>
        <source>Every job type</source>
        <translation>Alle Jobtypen</translation>
    </message>
    <message>
        <source>%1 was paused already.</source>
        <translation>%1 war bereits pausiert.</translation>
    </message>
    <message>
        <source>%1 was not paused.</source>
        <translation>%1 war nicht pausiert.</translation>
    </message>
    <message>
        <source>%1 paused: queued jobs wait, running ones finish.</source>
        <translation>%1 pausiert: wartende Jobs warten, laufende werden beendet.</translation>
    </message>
    <message>
        <source>%1 resumed.</source>
        <translation>%1 fortgesetzt.</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>Pausieren</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>Fortsetzen</translation>
    </message>
    <message>
        <source>Pause every job type? Queued and new jobs wait until you resume; running jobs finish.</source>
        <translation>Alle Jobtypen pausieren? Wartende und neue Jobs warten, bis Sie fortsetzen; laufende Jobs werden beendet.</translation>
    </message>
    <message>
        <source>Pause All Types</source>
        <translation>Alle Typen pausieren</translation>
    </message>
    <message>
        <source>%1 (paused)</source>
        <extracomment>a job type in the type filter whose jobs are paused</extracomment>
        <translation>%1 (pausiert)</translation>
    </message>
    <message>
        <source>All types (paused)</source>
        <translation>Alle Typen (pausiert)</translation>
    </message>
    <message>
        <source>Resume All</source>
        <translation>Alle fortsetzen</translation>
    </message>
    <message>
        <source>Pause All</source>
        <translation>Alle pausieren</translation>
    </message>
    <message>
        <source>Pause every job type: queued jobs wait, running ones finish</source>
        <translation>Alle Jobtypen pausieren: wartende Jobs warten, laufende werden beendet</translation>
    </message>
    <message>
        <source>Pause %1: its queued jobs wait, running ones finish</source>
        <translation>%1 pausieren: seine wartenden Jobs warten, laufende werden beendet</translation>
    </message>
    <message>
        <source>Resume Type “%1”</source>
        <translation>Typ „%1“ fortsetzen</translation>
    </message>
    <message>
        <source>Pause Type “%1”</source>
        <translation>Typ „%1“ pausieren</translation>
    </message>
    <message>
        <source>Queued %1 jobs wait until resumed; running ones finish.</source>
        <translation>Wartende Jobs vom Typ %1 warten bis zur Fortsetzung; laufende werden beendet.</translation>
    </message>
    <message>
        <source>Status filter</source>
        <translation>Statusfilter</translation>
    </message>
    <message>
        <source>Search jobs</source>
        <translation>Jobs durchsuchen</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>Aktualisieren</translation>
    </message>
    <message>
        <source>Jobs</source>
        <translation>Jobs</translation>
    </message>
    <message>
        <source>Show the jobs of every schedule (Esc)</source>
        <translation>Die Jobs aller Zeitpläne anzeigen (Esc)</translation>
    </message>
    <message>
        <source>Clear schedule filter</source>
        <translation>Zeitplanfilter entfernen</translation>
    </message>
    <message>
        <source>Schedule: %1</source>
        <extracomment>The jobs page shows only the jobs of this schedule; %1 is its name or &quot;#7&quot;.</extracomment>
        <translation>Zeitplan: %1</translation>
    </message>
    <message>
        <source>No matching jobs</source>
        <translation>Keine passenden Jobs</translation>
    </message>
    <message>
        <source>Selected the 1 job that matches the filter.</source>
        <translation>1 Job ausgewählt, der zum Filter passt.</translation>
    </message>
    <message>
        <source>Selected all %1 jobs that match the filter; Cancel, Retry and Delete act on every one of them.</source>
        <translation>Alle %1 Jobs ausgewählt, die zum Filter passen; Abbrechen, Wiederholen und Löschen wirken auf jeden davon.</translation>
    </message>
    <message>
        <source>Retry All Failed (%1)…</source>
        <extracomment>a bulk action of the Job menu; %1 the number of jobs it acts on</extracomment>
        <translation>Fehlgeschlagene wiederholen (%1)…</translation>
    </message>
    <message>
        <source>Retry All Failed %1 (%2)…</source>
        <translation>Fehlgeschlagene %1 wiederholen (%2)…</translation>
    </message>
    <message>
        <source>Cancel All Queued (%1)…</source>
        <translation>Wartende abbrechen (%1)…</translation>
    </message>
    <message>
        <source>Cancel All Queued %1 (%2)…</source>
        <translation>Wartende %1 abbrechen (%2)…</translation>
    </message>
    <message>
        <source>every job that matches the filter, not only the loaded rows</source>
        <translation>jeder Job, der zum Filter passt, nicht nur die geladenen Zeilen</translation>
    </message>
    <message>
        <source>No job that matches the filter can take this action.</source>
        <translation>Kein Job, der zum Filter passt, lässt diese Aktion zu.</translation>
    </message>
    <message>
        <source>Delete the 1 finished%1 job that matches the filter and its attempt history? This cannot be undone.</source>
        <translation>Den 1 beendeten%1 Job, der zum Filter passt, und seinen Versuchsverlauf löschen? Dies kann nicht rückgängig gemacht werden.</translation>
    </message>
    <message>
        <source>Delete all %1 finished%2 jobs that match the filter and their attempt history? This cannot be undone.</source>
        <translation>Alle %1 beendeten%2 Jobs, die zum Filter passen, und ihren Versuchsverlauf löschen? Dies kann nicht rückgängig gemacht werden.</translation>
    </message>
    <message>
        <source>Delete Job</source>
        <translation>Job löschen</translation>
    </message>
    <message>
        <source>Delete Jobs</source>
        <translation>Jobs löschen</translation>
    </message>
    <message>
        <source>Keep Job</source>
        <translation>Job behalten</translation>
    </message>
    <message>
        <source>Keep Jobs</source>
        <translation>Jobs behalten</translation>
    </message>
    <message>
        <source>Retry the 1 failed%1 job that matches the filter now?</source>
        <translation>Den 1 fehlgeschlagenen%1 Job, der zum Filter passt, jetzt wiederholen?</translation>
    </message>
    <message>
        <source>Retry all %1 failed%2 jobs that match the filter now?</source>
        <translation>Alle %1 fehlgeschlagenen%2 Jobs, die zum Filter passen, jetzt wiederholen?</translation>
    </message>
    <message>
        <source>Retry Job</source>
        <translation>Job wiederholen</translation>
    </message>
    <message>
        <source>Retry Jobs</source>
        <translation>Jobs wiederholen</translation>
    </message>
    <message>
        <source>Cancel the 1 queued%1 job that matches the filter?</source>
        <translation>Den 1 wartenden%1 Job, der zum Filter passt, abbrechen?</translation>
    </message>
    <message>
        <source>Cancel all %1 queued%2 jobs that match the filter?</source>
        <translation>Alle %1 wartenden%2 Jobs, die zum Filter passen, abbrechen?</translation>
    </message>
    <message>
        <source>Cancel Job</source>
        <translation>Job abbrechen</translation>
    </message>
    <message>
        <source>Delete Finished Jobs</source>
        <translation>Beendete Jobs löschen</translation>
    </message>
    <message>
        <source> days</source>
        <extracomment>&quot;Delete finished jobs older than [30] days&quot;</extracomment>
        <translation> Tage</translation>
    </message>
    <message>
        <source>Older than</source>
        <translation>Älter als</translation>
    </message>
    <message>
        <source>Counting…</source>
        <translation>Zählen…</translation>
    </message>
    <message>
        <source>Finished more than</source>
        <translation>Beendet vor mehr als</translation>
    </message>
    <message>
        <source>1 finished job that matches the filter finished before %1. Deleting it removes its attempt history; this cannot be undone.</source>
        <translation>1 beendeter Job, der zum Filter passt, wurde vor %1 beendet. Beim Löschen wird sein Versuchsverlauf entfernt; dies kann nicht rückgängig gemacht werden.</translation>
    </message>
    <message>
        <source>%1 finished jobs that match the filter finished before %2. Deleting them removes their attempt history; this cannot be undone.</source>
        <translation>%1 beendete Jobs, die zum Filter passen, wurden vor %2 beendet. Beim Löschen wird ihr Versuchsverlauf entfernt; dies kann nicht rückgängig gemacht werden.</translation>
    </message>
    <message>
        <source>Retrying Jobs</source>
        <translation>Jobs werden wiederholt</translation>
    </message>
    <message>
        <source>Cancelling Jobs</source>
        <translation>Jobs werden abgebrochen</translation>
    </message>
    <message>
        <source>Deleting Jobs</source>
        <translation>Jobs werden gelöscht</translation>
    </message>
    <message>
        <source>Counting the jobs…</source>
        <translation>Jobs werden gezählt…</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Anhalten</translation>
    </message>
    <message>
        <source>%1 of %2 jobs…</source>
        <translation>%1 von %2 Jobs…</translation>
    </message>
    <message>
        <source>Retried 1 job.</source>
        <translation>1 Job wiederholt.</translation>
    </message>
    <message>
        <source>Retried %1 jobs.</source>
        <translation>%1 Jobs wiederholt.</translation>
    </message>
    <message>
        <source>Cancelled 1 job.</source>
        <translation>1 Job abgebrochen.</translation>
    </message>
    <message>
        <source>Cancelled %1 jobs.</source>
        <translation>%1 Jobs abgebrochen.</translation>
    </message>
    <message>
        <source>Deleted 1 job.</source>
        <translation>1 Job gelöscht.</translation>
    </message>
    <message>
        <source>Deleted %1 jobs.</source>
        <translation>%1 Jobs gelöscht.</translation>
    </message>
    <message>
        <source>%1 had changed meanwhile and were left alone (%2).</source>
        <extracomment>%1 how many, %2 why the first of them could not be changed</extracomment>
        <translation>%1 hatten sich inzwischen geändert und wurden nicht angetastet (%2).</translation>
    </message>
    <message>
        <source>Stopped before the end.</source>
        <translation>Vor dem Ende angehalten.</translation>
    </message>
    <message>
        <source>Select one or more jobs first.</source>
        <translation>Wählen Sie zuerst einen oder mehrere Jobs aus.</translation>
    </message>
    <message>
        <source>&amp;New Job…</source>
        <translation>&amp;Neuer Job…</translation>
    </message>
    <message>
        <source>Select &amp;All</source>
        <translation>&amp;Alle auswählen</translation>
    </message>
    <message>
        <source>Retry All Failed…</source>
        <translation>Fehlgeschlagene wiederholen…</translation>
    </message>
    <message>
        <source>Cancel All Queued…</source>
        <translation>Wartende abbrechen…</translation>
    </message>
    <message>
        <source>Delete Finished Older Than…</source>
        <translation>Beendete löschen, älter als…</translation>
    </message>
    <message>
        <source>Cancel %1? A queued job stops at once; a running job is asked to stop.</source>
        <translation>%1 abbrechen? Ein wartender Job stoppt sofort; ein laufender Job wird zum Anhalten aufgefordert.</translation>
    </message>
    <message>
        <source>Delete %1 and its attempt history? This cannot be undone.</source>
        <translation>%1 und seinen Versuchsverlauf löschen? Dies kann nicht rückgängig gemacht werden.</translation>
    </message>
    <message numerus="yes">
        <source>Delete %n finished jobs and their attempt history? This cannot be undone.</source>
        <translation>
            <numerusform>%n beendeten Job und seinen Versuchsverlauf löschen? Dies kann nicht rückgängig gemacht werden.</numerusform>
            <numerusform>%n beendete Jobs und ihren Versuchsverlauf löschen? Dies kann nicht rückgängig gemacht werden.</numerusform>
        </translation>
    </message>
    <message>
        <source>Keep Running</source>
        <translation>Weiterlaufen lassen</translation>
    </message>
    <message>
        <source>Created %1. The current filters hide it.</source>
        <extracomment>%1 is a job id such as job_12</extracomment>
        <translation>%1 angelegt. Die aktuellen Filter blenden ihn aus.</translation>
    </message>
    <message>
        <source>status “%1”</source>
        <extracomment>an active filter in &quot;No jobs match …&quot;</extracomment>
        <translation>Status „%1“</translation>
    </message>
    <message>
        <source>type “%1”</source>
        <translation>Typ „%1“</translation>
    </message>
    <message>
        <source>search “%1”</source>
        <translation>Suche „%1“</translation>
    </message>
    <message>
        <source>No jobs yet. &lt;a href=&quot;new&quot;&gt;Create one&lt;/a&gt; (Ctrl+N).</source>
        <translation>Noch keine Jobs. &lt;a href=&quot;new&quot;&gt;Einen erstellen&lt;/a&gt; (Strg+N).</translation>
    </message>
    <message>
        <source>No jobs match %1. &lt;a href=&quot;clear&quot;&gt;Clear all filters&lt;/a&gt; (Esc clears the search).</source>
        <extracomment>%1 lists the active filters, e.g. status “Failed”, type “email_send”</extracomment>
        <translation>Keine Jobs passen zu %1. &lt;a href=&quot;clear&quot;&gt;Alle Filter entfernen&lt;/a&gt; (Esc leert die Suche).</translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <extracomment>as in the Attempts column: attempts started &quot;of&quot; the most possible</extracomment>
        <translation>%1 von %2</translation>
    </message>
    <message>
        <source>Selected all of the more than %1 jobs that match the filter; Cancel, Retry and Delete act on every one of them.</source>
        <translation>Alle der mehr als %1 Jobs ausgewählt, die zum Filter passen; Abbrechen, Wiederholen und Löschen wirken auf jeden von ihnen.</translation>
    </message>
    <message>
        <source>Showing the first %1 of more than %2 jobs. To reach the others, narrow the filter, search, or reverse the order (click a column header).</source>
        <translation>Angezeigt werden die ersten %1 von mehr als %2 Jobs. Für die übrigen den Filter eingrenzen, suchen oder die Reihenfolge umkehren (auf eine Spaltenüberschrift klicken).</translation>
    </message>
    <message>
        <source>Showing the first %1 of %2 jobs. To reach the others, narrow the filter, search, or reverse the order (click a column header).</source>
        <translation>Angezeigt werden die ersten %1 von %2 Jobs. Für die übrigen den Filter eingrenzen, suchen oder die Reihenfolge umkehren (auf eine Spaltenüberschrift klicken).</translation>
    </message>
</context>
<context>
    <name>hcm::ui::MainWindow</name>
    <message>
        <source>HCM Admin</source>
        <translation>HCM Admin</translation>
    </message>
    <message>
        <source>Jobs</source>
        <translation>Jobs</translation>
    </message>
    <message>
        <source>Workers</source>
        <translation>Worker</translation>
    </message>
    <message>
        <source>Notifications</source>
        <translation>Benachrichtigungen</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Datei</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Beenden</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;Ansicht</translation>
    </message>
    <message>
        <source>&amp;Jobs</source>
        <translation>&amp;Jobs</translation>
    </message>
    <message>
        <source>&amp;Workers</source>
        <translation>&amp;Worker</translation>
    </message>
    <message>
        <source>&amp;Notifications</source>
        <translation>&amp;Benachrichtigungen</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>&amp;Aktualisieren</translation>
    </message>
    <message>
        <source>&amp;Worker</source>
        <translation>&amp;Worker</translation>
    </message>
    <message>
        <source>&amp;Run Jobs in This Window</source>
        <translation>Jobs in diesem Fenster &amp;ausführen</translation>
    </message>
    <message>
        <source>Runs queued jobs inside HCM Admin. Turn it off when dedicated hcm-worker processes serve this database.</source>
        <translation>Führt wartende Jobs in HCM Admin aus. Schalten Sie dies aus, wenn eigene hcm-worker-Prozesse diese Datenbank bedienen.</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>&amp;Hilfe</translation>
    </message>
    <message>
        <source>&amp;About HCM Admin</source>
        <translation>&amp;Über HCM Admin</translation>
    </message>
    <message>
        <source>About HCM Admin</source>
        <translation>Über HCM Admin</translation>
    </message>
    <message>
        <source>&lt;b&gt;HCM Admin %1&lt;/b&gt;&lt;p&gt;Background jobs and notification settings of the HCM system.&lt;/p&gt;&lt;p&gt;Database: %2&lt;/p&gt;</source>
        <translation>&lt;b&gt;HCM Admin %1&lt;/b&gt;&lt;p&gt;Hintergrundjobs und Benachrichtigungseinstellungen des HCM-Systems.&lt;/p&gt;&lt;p&gt;Datenbank: %2&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>Verbinde…</translation>
    </message>
    <message>
        <source>Connected</source>
        <translation>Verbunden</translation>
    </message>
    <message>
        <source>Database error</source>
        <translation>Datenbankfehler</translation>
    </message>
    <message>
        <source>The worker could not start: %1</source>
        <translation>Der Worker konnte nicht starten: %1</translation>
    </message>
    <message>
        <source>Worker off</source>
        <translation>Worker aus</translation>
    </message>
    <message>
        <source>Jobs run only in hcm-worker processes.</source>
        <translation>Jobs laufen nur in hcm-worker-Prozessen.</translation>
    </message>
    <message>
        <source>Worker running %1/%2</source>
        <translation>Worker läuft %1/%2</translation>
    </message>
    <message>
        <source>In-process worker %1: %2 of %3 threads busy</source>
        <translation>Integrierter Worker %1: %2 von %3 Threads belegt</translation>
    </message>
    <message>
        <source>Unsaved Changes</source>
        <translation>Ungespeicherte Änderungen</translation>
    </message>
    <message>
        <source>The notification settings have unsaved changes.</source>
        <translation>Die Benachrichtigungseinstellungen haben ungespeicherte Änderungen.</translation>
    </message>
    <message>
        <source>Do you want to save them?</source>
        <translation>Möchten Sie sie speichern?</translation>
    </message>
    <message>
        <source>Worker starting…</source>
        <translation>Worker startet…</translation>
    </message>
    <message>
        <source>In-process worker %1: registering with the database</source>
        <translation>Integrierter Worker %1: meldet sich bei der Datenbank an</translation>
    </message>
    <message>
        <source>Schedules</source>
        <translation>Zeitpläne</translation>
    </message>
    <message>
        <source>Worker stopping…</source>
        <translation>Worker wird beendet…</translation>
    </message>
    <message>
        <source>The in-process worker lets its running jobs finish, then stops.</source>
        <translation>Der integrierte Worker lässt seine laufenden Jobs zu Ende laufen und beendet sich dann.</translation>
    </message>
    <message>
        <source>Closing HCM Admin</source>
        <translation>HCM Admin wird geschlossen</translation>
    </message>
    <message>
        <source>Stop Now</source>
        <translation>Jetzt beenden</translation>
    </message>
    <message>
        <source>Asks the running jobs to stop; they go back to the queue without spending a retry.</source>
        <translation>Fordert die laufenden Jobs zum Anhalten auf; sie gehen zurück in die Warteschlange, ohne eine Wiederholung zu verbrauchen.</translation>
    </message>
    <message>
        <source>Stopping 1 running job…</source>
        <translation>1 laufender Job wird angehalten…</translation>
    </message>
    <message numerus="yes">
        <source>Stopping %n running jobs…</source>
        <translation>
            <numerusform>%n laufender Job wird angehalten…</numerusform>
            <numerusform>%n laufende Jobs werden angehalten…</numerusform>
        </translation>
    </message>
    <message>
        <source>Waiting for 1 running job to finish…</source>
        <translation>Warten, bis 1 laufender Job beendet ist…</translation>
    </message>
    <message numerus="yes">
        <source>Waiting for %n running jobs to finish…</source>
        <translation>
            <numerusform>Warten, bis %n laufender Job beendet ist…</numerusform>
            <numerusform>Warten, bis %n laufende Jobs beendet sind…</numerusform>
        </translation>
    </message>
    <message>
        <source>Saving the results and stopping the worker…</source>
        <translation>Ergebnisse werden gespeichert und der Worker wird beendet…</translation>
    </message>
    <message>
        <source>Jobs that do not stop go back to the queue.</source>
        <translation>Jobs, die nicht anhalten, gehen zurück in die Warteschlange.</translation>
    </message>
    <message>
        <source>Jobs still running in %1 are stopped and go back to the queue.</source>
        <translation>Jobs, die in %1 noch laufen, werden angehalten und gehen zurück in die Warteschlange.</translation>
    </message>
    <message>
        <source>Pages</source>
        <translation>Seiten</translation>
    </message>
    <message>
        <source>Audit</source>
        <translation>Audit</translation>
    </message>
    <message>
        <source>Users</source>
        <translation>Benutzer</translation>
    </message>
    <message>
        <source>&amp;Job</source>
        <translation>&amp;Job</translation>
    </message>
    <message>
        <source>Signed in as %1 — %2</source>
        <translation>Angemeldet als %1 — %2</translation>
    </message>
    <message>
        <source>1 job/min</source>
        <extracomment>jobs completed in the last 60 seconds</extracomment>
        <translation>1 Job/Min.</translation>
    </message>
    <message numerus="yes">
        <source>%n jobs/min</source>
        <translation>
            <numerusform>%n Job/Min.</numerusform>
            <numerusform>%n Jobs/Min.</numerusform>
        </translation>
    </message>
    <message>
        <source>Jobs completed in the last 60 seconds</source>
        <translation>In den letzten 60 Sekunden abgeschlossene Jobs</translation>
    </message>
    <message>
        <source>%1 jobs completed in the last 60 seconds</source>
        <translation>%1 Jobs in den letzten 60 Sekunden abgeschlossen</translation>
    </message>
    <message>
        <source>&amp;Schedules</source>
        <translation>&amp;Zeitpläne</translation>
    </message>
    <message>
        <source>&amp;Audit</source>
        <translation>Au&amp;dit</translation>
    </message>
    <message>
        <source>&amp;Users</source>
        <translation>Benu&amp;tzer</translation>
    </message>
</context>
<context>
    <name>hcm::ui::NewJobDialog</name>
    <message>
        <source>New Job</source>
        <translation>Neuer Job</translation>
    </message>
    <message>
        <source>&amp;Type:</source>
        <translation>&amp;Typ:</translation>
    </message>
    <message>
        <source>&amp;Priority:</source>
        <translation>&amp;Priorität:</translation>
    </message>
    <message>
        <source>Payload (JSON)</source>
        <extracomment>accessible name of the JSON editor</extracomment>
        <translation>Payload (JSON)</translation>
    </message>
    <message>
        <source>Pay&amp;load:</source>
        <translation>Pay&amp;load:</translation>
    </message>
    <message>
        <source>Max &amp;retries:</source>
        <translation>Max. &amp;Wiederholungen:</translation>
    </message>
    <message>
        <source>Start &amp;later</source>
        <translation>&amp;Später starten</translation>
    </message>
    <message>
        <source>Start:</source>
        <translation>Start:</translation>
    </message>
    <message>
        <source>&amp;Create job</source>
        <translation>Job &amp;anlegen</translation>
    </message>
    <message>
        <source>one attempt, no retries</source>
        <translation>ein Versuch, keine Wiederholungen</translation>
    </message>
    <message numerus="yes">
        <source>up to %n attempts; backoff %1 min</source>
        <extracomment>%1 is a list of minutes between failed attempts, e.g. &quot;2, 4, 8&quot;</extracomment>
        <translation>
            <numerusform>bis zu %n Versuch; Backoff %1 min</numerusform>
            <numerusform>bis zu %n Versuche; Backoff %1 min</numerusform>
        </translation>
    </message>
    <message>
        <source>Payload is valid</source>
        <translation>Payload ist gültig</translation>
    </message>
    <message>
        <source>Creating…</source>
        <translation>Wird angelegt…</translation>
    </message>
    <message>
        <source>Could not create the job: %1</source>
        <extracomment>%1 is the database&apos;s or the service&apos;s reason</extracomment>
        <translation>Der Job konnte nicht angelegt werden: %1</translation>
    </message>
    <message>
        <source>Start time</source>
        <translation>Startzeit</translation>
    </message>
</context>
<context>
    <name>hcm::ui::NotificationsForm</name>
    <message>
        <source>Email (SMTP)</source>
        <translation>E-Mail (SMTP)</translation>
    </message>
    <message>
        <source>Send alerts by email</source>
        <translation>Warnungen per E-Mail senden</translation>
    </message>
    <message>
        <source>smtp.example.com</source>
        <translation>smtp.example.com</translation>
    </message>
    <message>
        <source>Server:</source>
        <translation>Server:</translation>
    </message>
    <message>
        <source>Port:</source>
        <translation>Port:</translation>
    </message>
    <message>
        <source>STARTTLS</source>
        <translation>STARTTLS</translation>
    </message>
    <message>
        <source>TLS (implicit)</source>
        <translation>TLS (implizit)</translation>
    </message>
    <message>
        <source>None (unencrypted)</source>
        <translation>Keine (unverschlüsselt)</translation>
    </message>
    <message>
        <source>Security:</source>
        <translation>Sicherheit:</translation>
    </message>
    <message>
        <source>Optional</source>
        <translation>Optional</translation>
    </message>
    <message>
        <source>User name:</source>
        <translation>Benutzername:</translation>
    </message>
    <message>
        <source>New password</source>
        <translation>Neues Passwort</translation>
    </message>
    <message>
        <source>Password:</source>
        <translation>Passwort:</translation>
    </message>
    <message>
        <source>hcm-alerts@example.com</source>
        <translation>hcm-alerts@example.com</translation>
    </message>
    <message>
        <source>From address:</source>
        <translation>Absenderadresse:</translation>
    </message>
    <message>
        <source>HCM Admin</source>
        <translation>HCM Admin</translation>
    </message>
    <message>
        <source>From name:</source>
        <translation>Absendername:</translation>
    </message>
    <message>
        <source>Reply-to:</source>
        <translation>Antwort an:</translation>
    </message>
    <message>
        <source>ops@example.com, oncall@example.com</source>
        <translation>ops@example.com, oncall@example.com</translation>
    </message>
    <message>
        <source>Addresses that receive alerts, separated by commas</source>
        <translation>Adressen, die Warnungen erhalten, durch Kommas getrennt</translation>
    </message>
    <message>
        <source>Admin recipients:</source>
        <translation>Admin-Empfänger:</translation>
    </message>
    <message>
        <source>Test:</source>
        <translation>Test:</translation>
    </message>
    <message>
        <source>SMS (Twilio)</source>
        <translation>SMS (Twilio)</translation>
    </message>
    <message>
        <source>Send alerts by SMS</source>
        <translation>Warnungen per SMS senden</translation>
    </message>
    <message>
        <source>Twilio</source>
        <translation>Twilio</translation>
    </message>
    <message>
        <source>Provider:</source>
        <translation>Anbieter:</translation>
    </message>
    <message>
        <source>AC followed by 32 hexadecimal digits</source>
        <translation>AC gefolgt von 32 Hexadezimalziffern</translation>
    </message>
    <message>
        <source>Account SID:</source>
        <translation>Account-SID:</translation>
    </message>
    <message>
        <source>New auth token</source>
        <translation>Neues Auth-Token</translation>
    </message>
    <message>
        <source>Auth token:</source>
        <translation>Auth-Token:</translation>
    </message>
    <message>
        <source>+14155550123</source>
        <translation>+14155550123</translation>
    </message>
    <message>
        <source>From number:</source>
        <translation>Absendernummer:</translation>
    </message>
    <message>
        <source>+14155550123, +442071838750</source>
        <translation>+14155550123, +442071838750</translation>
    </message>
    <message>
        <source>Numbers in E.164 form that receive alerts, separated by commas</source>
        <translation>Nummern im E.164-Format, die Warnungen erhalten, durch Kommas getrennt</translation>
    </message>
    <message>
        <source>Recipients:</source>
        <translation>Empfänger:</translation>
    </message>
    <message>
        <source>Advanced</source>
        <translation>Erweitert</translation>
    </message>
    <message>
        <source>https://api.twilio.com</source>
        <translation>https://api.twilio.com</translation>
    </message>
    <message>
        <source>API address:</source>
        <translation>API-Adresse:</translation>
    </message>
    <message>
        <source>Slack</source>
        <translation>Slack</translation>
    </message>
    <message>
        <source>Send alerts to Slack</source>
        <translation>Warnungen an Slack senden</translation>
    </message>
    <message>
        <source>https://hooks.slack.com/services/…</source>
        <translation>https://hooks.slack.com/services/…</translation>
    </message>
    <message>
        <source>Webhook URL:</source>
        <translation>Webhook-URL:</translation>
    </message>
    <message>
        <source>#alerts (optional)</source>
        <translation>#alerts (optional)</translation>
    </message>
    <message>
        <source>Channel:</source>
        <translation>Kanal:</translation>
    </message>
    <message>
        <source>Events</source>
        <translation>Ereignisse</translation>
    </message>
    <message>
        <source>Send an alert when:</source>
        <translation>Eine Warnung senden, wenn:</translation>
    </message>
    <message>
        <source>A job failed after its last retry</source>
        <translation>ein Job nach seiner letzten Wiederholung fehlgeschlagen ist</translation>
    </message>
    <message>
        <source>A job succeeded</source>
        <translation>ein Job erfolgreich war</translation>
    </message>
    <message>
        <source>A job is retried</source>
        <translation>ein Job wiederholt wird</translation>
    </message>
    <message>
        <source>A worker stops responding</source>
        <translation>ein Worker nicht mehr reagiert</translation>
    </message>
    <message>
        <source>Quiet hours</source>
        <translation>Ruhezeiten</translation>
    </message>
    <message>
        <source>Hold alerts during quiet hours</source>
        <translation>Warnungen während der Ruhezeiten zurückhalten</translation>
    </message>
    <message>
        <source>to</source>
        <extracomment>between the start and the end of quiet hours (&quot;22:00 to 07:00&quot;)</extracomment>
        <translation>bis</translation>
    </message>
    <message>
        <source>From:</source>
        <translation>Von:</translation>
    </message>
    <message>
        <source>Time zone:</source>
        <translation>Zeitzone:</translation>
    </message>
    <message>
        <source>Alerts raised during quiet hours are delivered when they end, never dropped.</source>
        <translation>Während der Ruhezeiten ausgelöste Warnungen werden an deren Ende zugestellt, nie verworfen.</translation>
    </message>
    <message>
        <source>Delivery</source>
        <translation>Zustellung</translation>
    </message>
    <message>
        <source>Immediately, one message per alert</source>
        <translation>Sofort, eine Nachricht pro Warnung</translation>
    </message>
    <message>
        <source>Hourly digest</source>
        <translation>Stündliche Zusammenfassung</translation>
    </message>
    <message>
        <source>Daily digest</source>
        <translation>Tägliche Zusammenfassung</translation>
    </message>
    <message>
        <source>Send:</source>
        <translation>Senden:</translation>
    </message>
    <message>
        <source>None: the system&apos;s certificates only</source>
        <translation>Keine: nur die Zertifikate des Systems</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>Durchsuchen…</translation>
    </message>
    <message>
        <source>Extra Trusted CA Certificate</source>
        <translation>Zusätzliches vertrauenswürdiges CA-Zertifikat</translation>
    </message>
    <message>
        <source>PEM certificates (*.pem *.crt *.cer);;All files (*)</source>
        <translation>PEM-Zertifikate (*.pem *.crt *.cer);;Alle Dateien (*)</translation>
    </message>
    <message>
        <source>Trusted CA:</source>
        <translation>Vertrauenswürdige CA:</translation>
    </message>
    <message>
        <source>A PEM file trusted for SMTP and HTTPS besides the system&apos;s certificates, for a private CA. Certificates are always verified.</source>
        <translation>Eine PEM-Datei, der neben den Zertifikaten des Systems für SMTP und HTTPS vertraut wird, für eine private CA. Zertifikate werden immer geprüft.</translation>
    </message>
    <message>
        <source>A digest is one message per channel with every alert since the previous one: hourly at the top of each hour, daily at %1, in the time zone of quiet hours. One due during quiet hours goes out when they end.</source>
        <extracomment>%1 is the time of day of daily digests (&quot;08:00&quot;)</extracomment>
        <translation>Eine Zusammenfassung ist eine Nachricht pro Kanal mit allen Warnungen seit der vorigen: stündlich zur vollen Stunde, täglich um %1, in der Zeitzone der Ruhezeiten. Fällt eine in die Ruhezeiten, wird sie an deren Ende gesendet.</translation>
    </message>
    <message>
        <source>%1:</source>
        <extracomment>the label of a field&apos;s row: &quot;SMTP server:&quot;</extracomment>
        <translation>%1:</translation>
    </message>
</context>
<context>
    <name>hcm::ui::NotificationsPage</name>
    <message>
        <source>Notification settings</source>
        <translation>Benachrichtigungseinstellungen</translation>
    </message>
    <message>
        <source>Try Again</source>
        <translation>Erneut versuchen</translation>
    </message>
    <message>
        <source>&amp;Revert</source>
        <translation>&amp;Zurücksetzen</translation>
    </message>
    <message>
        <source>Back to the settings as last loaded</source>
        <translation>Zurück zu den zuletzt geladenen Einstellungen</translation>
    </message>
    <message>
        <source>&amp;Save</source>
        <translation>&amp;Speichern</translation>
    </message>
    <message>
        <source>Save the notification settings (%1)</source>
        <translation>Die Benachrichtigungseinstellungen speichern (%1)</translation>
    </message>
    <message>
        <source>Never saved: these are the defaults.</source>
        <translation>Nie gespeichert: dies sind die Standardwerte.</translation>
    </message>
    <message>
        <source>Last saved by %1 on %2 at %3 (version %4)</source>
        <extracomment>%1 who, %2 date, %3 time, %4 version number</extracomment>
        <translation>Zuletzt gespeichert von %1 am %2 um %3 (Version %4)</translation>
    </message>
    <message>
        <source>an unknown user</source>
        <translation>einem unbekannten Benutzer</translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation>Wird gespeichert…</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Wird geladen…</translation>
    </message>
    <message>
        <source>1 field needs attention</source>
        <translation>1 Feld braucht Aufmerksamkeit</translation>
    </message>
    <message numerus="yes">
        <source>%n fields need attention</source>
        <translation>
            <numerusform>%n Feld braucht Aufmerksamkeit</numerusform>
            <numerusform>%n Felder brauchen Aufmerksamkeit</numerusform>
        </translation>
    </message>
    <message>
        <source>Unsaved changes</source>
        <translation>Ungespeicherte Änderungen</translation>
    </message>
    <message>
        <source>The notification settings could not be loaded: %1</source>
        <translation>Die Benachrichtigungseinstellungen konnten nicht geladen werden: %1</translation>
    </message>
    <message>
        <source>The settings are busy loading or saving.</source>
        <translation>Die Einstellungen werden gerade geladen oder gespeichert.</translation>
    </message>
    <message>
        <source>Not saved: 1 field needs attention.</source>
        <translation>Nicht gespeichert: 1 Feld braucht Aufmerksamkeit.</translation>
    </message>
    <message numerus="yes">
        <source>Not saved: %n fields need attention.</source>
        <translation>
            <numerusform>Nicht gespeichert: %n Feld braucht Aufmerksamkeit.</numerusform>
            <numerusform>Nicht gespeichert: %n Felder brauchen Aufmerksamkeit.</numerusform>
        </translation>
    </message>
    <message>
        <source>Notification settings saved (version %1).</source>
        <translation>Benachrichtigungseinstellungen gespeichert (Version %1).</translation>
    </message>
    <message>
        <source>Not saved: someone else saved the settings after you opened them. Save again to review the differences.</source>
        <translation>Nicht gespeichert: jemand anderes hat die Einstellungen gespeichert, nachdem Sie sie geöffnet hatten. Speichern Sie erneut, um die Unterschiede zu prüfen.</translation>
    </message>
</context>
<context>
    <name>hcm::ui::PausedTypesBar</name>
    <message>
        <source>Every job type resumed.</source>
        <translation>Alle Jobtypen fortgesetzt.</translation>
    </message>
    <message>
        <source>%1 resumed.</source>
        <translation>%1 fortgesetzt.</translation>
    </message>
    <message>
        <source>Resume failed</source>
        <translation>Fortsetzen fehlgeschlagen</translation>
    </message>
    <message>
        <source>%1 (by %2 at %3)</source>
        <extracomment>one paused job type on the workers page: type, who paused it, when</extracomment>
        <translation>%1 (von %2 am %3)</translation>
    </message>
    <message>
        <source>all types</source>
        <translation>alle Typen</translation>
    </message>
    <message>
        <source>Paused types: %1. Their queued jobs wait; new ones are accepted and wait.</source>
        <translation>Pausierte Typen: %1. Ihre wartenden Jobs warten; neue werden angenommen und warten.</translation>
    </message>
    <message>
        <source>Resume All</source>
        <translation>Alle fortsetzen</translation>
    </message>
    <message>
        <source>Resume %1</source>
        <translation>%1 fortsetzen</translation>
    </message>
</context>
<context>
    <name>hcm::ui::ScheduleDialog</name>
    <message>
        <source>Edit Schedule</source>
        <translation>Zeitplan bearbeiten</translation>
    </message>
    <message>
        <source>New Schedule</source>
        <translation>Neuer Zeitplan</translation>
    </message>
    <message>
        <source>minute hour day-of-month month day-of-week, e.g. 0 3 * * *</source>
        <extracomment>placeholder of the cron expression field</extracomment>
        <translation>Minute Stunde Tag-des-Monats Monat Wochentag, z. B. 0 3 * * *</translation>
    </message>
    <message>
        <source>Skip while the previous job is queued or running</source>
        <translation>Überspringen, solange der vorige Job wartet oder läuft</translation>
    </message>
    <message>
        <source>Allow</source>
        <translation>Zulassen</translation>
    </message>
    <message>
        <source>Run once when the workers are back</source>
        <translation>Einmal ausführen, wenn die Worker wieder da sind</translation>
    </message>
    <message>
        <source>Skip</source>
        <translation>Überspringen</translation>
    </message>
    <message>
        <source>Enabled</source>
        <translation>Aktiviert</translation>
    </message>
    <message>
        <source>In the schedule&apos;s zone</source>
        <translation>In der Zeitzone des Zeitplans</translation>
    </message>
    <message>
        <source>Local time</source>
        <translation>Ortszeit</translation>
    </message>
    <message>
        <source>&amp;Name:</source>
        <translation>&amp;Name:</translation>
    </message>
    <message>
        <source>Job &amp;type:</source>
        <translation>Job&amp;typ:</translation>
    </message>
    <message>
        <source>&amp;Cron expression:</source>
        <translation>&amp;Cron-Ausdruck:</translation>
    </message>
    <message>
        <source>Time &amp;zone:</source>
        <translation>&amp;Zeitzone:</translation>
    </message>
    <message>
        <source>&amp;Payload:</source>
        <translation>&amp;Payload:</translation>
    </message>
    <message>
        <source>P&amp;riority:</source>
        <translation>P&amp;riorität:</translation>
    </message>
    <message>
        <source>&amp;Overlap:</source>
        <translation>Über&amp;lappung:</translation>
    </message>
    <message>
        <source>&amp;Missed runs:</source>
        <translation>&amp;Verpasste Ausführungen:</translation>
    </message>
    <message>
        <source>Next runs:</source>
        <translation>Nächste Ausführungen:</translation>
    </message>
    <message>
        <source>Max retr&amp;ies:</source>
        <translation>Max. &amp;Wiederholungen:</translation>
    </message>
</context>
<context>
    <name>hcm::ui::ScheduleTableModel</name>
    <message>
        <source>off</source>
        <translation>aus</translation>
    </message>
    <message>
        <source>never</source>
        <translation>nie</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation>%1 (%2)</translation>
    </message>
    <message>
        <source>on</source>
        <translation>an</translation>
    </message>
    <message>
        <source>Times in %1</source>
        <translation>Zeiten in %1</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>Typ</translation>
    </message>
    <message>
        <source>When</source>
        <translation>Wann</translation>
    </message>
    <message>
        <source>Time zone</source>
        <translation>Zeitzone</translation>
    </message>
    <message>
        <source>Next run</source>
        <translation>Nächste Ausführung</translation>
    </message>
    <message>
        <source>Last run</source>
        <translation>Letzte Ausführung</translation>
    </message>
    <message>
        <source>Enabled</source>
        <translation>Aktiviert</translation>
    </message>
</context>
<context>
    <name>hcm::ui::SchedulesPage</name>
    <message>
        <source>&amp;New Schedule…</source>
        <translation>&amp;Neuer Zeitplan…</translation>
    </message>
    <message>
        <source>&amp;Run Now</source>
        <translation>Jetzt &amp;ausführen</translation>
    </message>
    <message>
        <source>&amp;Edit…</source>
        <translation>&amp;Bearbeiten…</translation>
    </message>
    <message>
        <source>D&amp;uplicate…</source>
        <translation>D&amp;uplizieren…</translation>
    </message>
    <message>
        <source>&amp;Disable</source>
        <translation>&amp;Deaktivieren</translation>
    </message>
    <message>
        <source>E&amp;nable</source>
        <translation>Akt&amp;ivieren</translation>
    </message>
    <message>
        <source>Show &amp;Jobs</source>
        <translation>&amp;Jobs anzeigen</translation>
    </message>
    <message>
        <source>De&amp;lete…</source>
        <translation>&amp;Löschen…</translation>
    </message>
    <message>
        <source>%1 (copy)</source>
        <extracomment>the name of a duplicated schedule</extracomment>
        <translation>%1 (Kopie)</translation>
    </message>
    <message>
        <source>Delete Schedule</source>
        <translation>Zeitplan löschen</translation>
    </message>
    <message>
        <source>Delete the schedule &quot;%1&quot;? The jobs it made stay.</source>
        <translation>Den Zeitplan „%1“ löschen? Die von ihm erzeugten Jobs bleiben erhalten.</translation>
    </message>
    <message>
        <source>Jobs of %1</source>
        <translation>Jobs von %1</translation>
    </message>
    <message>
        <source>Job</source>
        <translation>Job</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>Erstellt</translation>
    </message>
    <message>
        <source>Finished</source>
        <translation>Beendet</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>Fehler</translation>
    </message>
</context>
<context>
    <name>hcm::ui::SecretFieldWidget</name>
    <message>
        <source>Clear</source>
        <translation>Löschen</translation>
    </message>
    <message>
        <source>Remove the stored value when the settings are saved</source>
        <translation>Den gespeicherten Wert beim Speichern der Einstellungen entfernen</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>Rückgängig</translation>
    </message>
    <message>
        <source>Keep the stored value</source>
        <translation>Den gespeicherten Wert behalten</translation>
    </message>
    <message>
        <source>Set</source>
        <extracomment>state of a write-only secret: a value is stored (it is never shown)</extracomment>
        <translation>Gesetzt</translation>
    </message>
    <message>
        <source>Not set</source>
        <translation>Nicht gesetzt</translation>
    </message>
    <message>
        <source>Will be cleared</source>
        <translation>Wird gelöscht</translation>
    </message>
    <message>
        <source>Replace…</source>
        <extracomment>button of a write-only secret: type a new value (Set… when none is stored)</extracomment>
        <translation>Ersetzen…</translation>
    </message>
    <message>
        <source>Set…</source>
        <translation>Setzen…</translation>
    </message>
</context>
<context>
    <name>hcm::ui::SettingsConflictDialog</name>
    <message>
        <source>changed by someone else</source>
        <extracomment>a write-only secret another admin replaced or cleared; its value is never shown</extracomment>
        <translation>von jemand anderem geändert</translation>
    </message>
    <message>
        <source>unchanged</source>
        <translation>unverändert</translation>
    </message>
    <message>
        <source>cleared</source>
        <translation>gelöscht</translation>
    </message>
    <message>
        <source>new value (hidden)</source>
        <translation>neuer Wert (verborgen)</translation>
    </message>
    <message>
        <source>on</source>
        <translation>an</translation>
    </message>
    <message>
        <source>off</source>
        <translation>aus</translation>
    </message>
    <message>
        <source>(empty)</source>
        <translation>(leer)</translation>
    </message>
    <message>
        <source>Settings Changed by Someone Else</source>
        <translation>Einstellungen von jemand anderem geändert</translation>
    </message>
    <message>
        <source>&lt;b&gt;The notification settings were saved by someone else after you opened them.&lt;/b&gt;&lt;br&gt;Nothing was saved. These fields differ from what you started with:</source>
        <translation>&lt;b&gt;Die Benachrichtigungseinstellungen wurden von jemand anderem gespeichert, nachdem Sie sie geöffnet hatten.&lt;/b&gt;&lt;br&gt;Nichts wurde gespeichert. Diese Felder weichen von Ihrem Ausgangsstand ab:</translation>
    </message>
    <message>
        <source>Field</source>
        <translation>Feld</translation>
    </message>
    <message>
        <source>Your value</source>
        <translation>Ihr Wert</translation>
    </message>
    <message>
        <source>Stored now</source>
        <translation>Jetzt gespeichert</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Wird geladen…</translation>
    </message>
    <message>
        <source>&lt;b&gt;The notification settings were saved by someone else after you opened them.&lt;/b&gt;&lt;br&gt;Nothing was saved. No field differs from what you started with.</source>
        <translation>&lt;b&gt;Die Benachrichtigungseinstellungen wurden von jemand anderem gespeichert, nachdem Sie sie geöffnet hatten.&lt;/b&gt;&lt;br&gt;Nichts wurde gespeichert. Kein Feld weicht von Ihrem Ausgangsstand ab.</translation>
    </message>
    <message>
        <source>Overwrite with Mine</source>
        <translation>Mit meinen überschreiben</translation>
    </message>
    <message>
        <source>Save your values; the values listed as stored now are replaced</source>
        <translation>Ihre Werte speichern; die als jetzt gespeichert aufgeführten Werte werden ersetzt</translation>
    </message>
    <message>
        <source>Discard Mine and Reload</source>
        <translation>Meine verwerfen und neu laden</translation>
    </message>
    <message>
        <source>Forget your changes and show the settings as stored now</source>
        <translation>Ihre Änderungen verwerfen und die Einstellungen so anzeigen, wie sie jetzt gespeichert sind</translation>
    </message>
    <message>
        <source>Go back to editing; nothing is saved</source>
        <translation>Zurück zur Bearbeitung; nichts wird gespeichert</translation>
    </message>
    <message>
        <source>&lt;b&gt;%1 saved the notification settings at %2, after you opened them.&lt;/b&gt;&lt;br&gt;Nothing was saved. These fields differ from what you started with:</source>
        <extracomment>%1 who saved, %2 when</extracomment>
        <translation>&lt;b&gt;%1 hat die Benachrichtigungseinstellungen um %2 gespeichert, nachdem Sie sie geöffnet hatten.&lt;/b&gt;&lt;br&gt;Nichts wurde gespeichert. Diese Felder weichen von Ihrem Ausgangsstand ab:</translation>
    </message>
    <message>
        <source>Someone else</source>
        <translation>Jemand anderes</translation>
    </message>
    <message>
        <source>—</source>
        <translation>—</translation>
    </message>
    <message>
        <source>The stored values could not be read: %1</source>
        <translation>Die gespeicherten Werte konnten nicht gelesen werden: %1</translation>
    </message>
</context>
<context>
    <name>hcm::ui::StatusFilterModel</name>
    <message>
        <source>All</source>
        <translation>Alle</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <extracomment>status filter entry: &quot;Queued (1,234)&quot;</extracomment>
        <translation>%1 (%2)</translation>
    </message>
    <message>
        <source>Jobs of every status</source>
        <translation>Jobs mit beliebigem Status</translation>
    </message>
    <message>
        <source>Only %1 jobs</source>
        <translation>Nur Jobs mit Status %1</translation>
    </message>
    <message>
        <source>%1 (more than %2)</source>
        <extracomment>status filter entry when there are more jobs than were counted: &quot;All (more than 100,000)&quot;</extracomment>
        <translation>%1 (mehr als %2)</translation>
    </message>
    <message>
        <source>%1 (at least %2)</source>
        <extracomment>status filter entry when only part of the jobs was counted: &quot;Failed (at least 1,234)&quot;</extracomment>
        <translation>%1 (mindestens %2)</translation>
    </message>
</context>
<context>
    <name>hcm::ui::ThroughputChart</name>
    <message>
        <source>Throughput</source>
        <extracomment>accessible name of the chart of finished jobs per minute</extracomment>
        <translation>Durchsatz</translation>
    </message>
    <message>
        <source>Completed %1 · Failed %2</source>
        <translation>Abgeschlossen %1 · Fehlgeschlagen %2</translation>
    </message>
    <message>
        <source>now</source>
        <translation>jetzt</translation>
    </message>
    <message>
        <source>%1–%2
Completed %3 · Failed %4</source>
        <extracomment>tooltip of one minute&apos;s bar: time range, then counts</extracomment>
        <translation>%1–%2
Abgeschlossen %3 · Fehlgeschlagen %4</translation>
    </message>
    <message>
        <source>Completed %1</source>
        <translation>Abgeschlossen %1</translation>
    </message>
    <message>
        <source>Failed %1</source>
        <translation>Fehlgeschlagen %1</translation>
    </message>
    <message>
        <source>in the last hour</source>
        <translation>in der letzten Stunde</translation>
    </message>
    <message numerus="yes">
        <source>in the last %n minutes</source>
        <translation>
            <numerusform>in der letzten Minute</numerusform>
            <numerusform>in den letzten %n Minuten</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>−%n min</source>
        <translation>
            <numerusform>−%n min</numerusform>
            <numerusform>−%n min</numerusform>
        </translation>
    </message>
    <message>
        <source>No data</source>
        <translation>Keine Daten</translation>
    </message>
    <message>
        <source>No jobs finished in this period</source>
        <translation>In diesem Zeitraum wurden keine Jobs beendet</translation>
    </message>
</context>
<context>
    <name>hcm::ui::TokenCreatedDialog</name>
    <message>
        <source>New API Token</source>
        <translation>Neues API-Token</translation>
    </message>
    <message>
        <source>The token &quot;%1&quot; for %2 was created. It acts as %2 with that user&apos;s role: send it as &lt;tt&gt;Authorization: Bearer &amp;lt;token&amp;gt;&lt;/tt&gt;.</source>
        <translation>Das Token „%1“ für %2 wurde erstellt. Es handelt als %2 mit der Rolle dieses Benutzers: senden Sie es als &lt;tt&gt;Authorization: Bearer &amp;lt;token&amp;gt;&lt;/tt&gt;.</translation>
    </message>
    <message>
        <source>Copy it now: it will not be shown again. Only a hash of it is stored; a lost token cannot be recovered, only revoked and replaced.</source>
        <translation>Kopieren Sie es jetzt: es wird nicht noch einmal angezeigt. Gespeichert wird nur ein Hash davon; ein verlorenes Token lässt sich nicht wiederherstellen, nur widerrufen und ersetzen.</translation>
    </message>
    <message>
        <source>New API token</source>
        <translation>Neues API-Token</translation>
    </message>
    <message>
        <source>&amp;Copy</source>
        <translation>&amp;Kopieren</translation>
    </message>
    <message>
        <source>Copy the token to the clipboard</source>
        <translation>Token in die Zwischenablage kopieren</translation>
    </message>
    <message>
        <source>Copied</source>
        <translation>Kopiert</translation>
    </message>
</context>
<context>
    <name>hcm::ui::TokenTableModel</name>
    <message>
        <source>Token</source>
        <translation>Token</translation>
    </message>
    <message>
        <source>User</source>
        <translation>Benutzer</translation>
    </message>
    <message>
        <source>Begins With</source>
        <extracomment>The first characters of an API token, which tell tokens apart (the token itself is never shown)</extracomment>
        <translation>Beginnt mit</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>Erstellt</translation>
    </message>
    <message>
        <source>Expires</source>
        <translation>Läuft ab</translation>
    </message>
    <message>
        <source>Last Used</source>
        <translation>Zuletzt verwendet</translation>
    </message>
    <message>
        <source>Last Client</source>
        <translation>Letzter Client</translation>
    </message>
    <message>
        <source>State</source>
        <translation>Zustand</translation>
    </message>
    <message>
        <source>Revoked by %1 on %2</source>
        <translation>Von %1 am %2 widerrufen</translation>
    </message>
    <message>
        <source>Never</source>
        <translation>Nie</translation>
    </message>
    <message>
        <source>Revoked %1</source>
        <translation>Widerrufen am %1</translation>
    </message>
    <message>
        <source>Expired</source>
        <translation>Abgelaufen</translation>
    </message>
    <message>
        <source>Active</source>
        <translation>Aktiv</translation>
    </message>
</context>
<context>
    <name>hcm::ui::UserTableModel</name>
    <message>
        <source>User</source>
        <translation>Benutzer</translation>
    </message>
    <message>
        <source>Display Name</source>
        <translation>Anzeigename</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>Rolle</translation>
    </message>
    <message>
        <source>Disabled</source>
        <translation>Deaktiviert</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>Erstellt</translation>
    </message>
    <message>
        <source>Created By</source>
        <translation>Erstellt von</translation>
    </message>
    <message>
        <source>Updated</source>
        <translation>Geändert</translation>
    </message>
    <message>
        <source>Updated By</source>
        <translation>Geändert von</translation>
    </message>
</context>
<context>
    <name>hcm::ui::UsersPage</name>
    <message>
        <source>Users</source>
        <translation>Benutzer</translation>
    </message>
    <message>
        <source>New user&apos;s name</source>
        <translation>Name des neuen Benutzers</translation>
    </message>
    <message>
        <source>Login name</source>
        <translation>Anmeldename</translation>
    </message>
    <message>
        <source>New user&apos;s display name</source>
        <translation>Anzeigename des neuen Benutzers</translation>
    </message>
    <message>
        <source>Display name (optional)</source>
        <translation>Anzeigename (optional)</translation>
    </message>
    <message>
        <source>New user&apos;s role</source>
        <translation>Rolle des neuen Benutzers</translation>
    </message>
    <message>
        <source>&amp;Add User</source>
        <translation>Benutzer &amp;hinzufügen</translation>
    </message>
    <message>
        <source>New user</source>
        <translation>Neuer Benutzer</translation>
    </message>
    <message>
        <source>Role of the selected user</source>
        <translation>Rolle des ausgewählten Benutzers</translation>
    </message>
    <message>
        <source>&amp;Change Role</source>
        <translation>&amp;Rolle ändern</translation>
    </message>
    <message>
        <source>&amp;Disable</source>
        <translation>&amp;Deaktivieren</translation>
    </message>
    <message>
        <source>Selected user</source>
        <translation>Ausgewählter Benutzer</translation>
    </message>
    <message>
        <source>&amp;Enable</source>
        <translation>&amp;Aktivieren</translation>
    </message>
    <message>
        <source>Saved the changes to %1.</source>
        <translation>Änderungen an %1 gespeichert.</translation>
    </message>
    <message>
        <source>API tokens</source>
        <translation>API-Token</translation>
    </message>
    <message>
        <source>New token&apos;s name</source>
        <translation>Name des neuen Tokens</translation>
    </message>
    <message>
        <source>What the token is for, e.g. HR backend</source>
        <translation>Wofür das Token ist, z. B. HR-Backend</translation>
    </message>
    <message>
        <source>New token&apos;s expiry</source>
        <translation>Ablauf des neuen Tokens</translation>
    </message>
    <message>
        <source>Expires in 30 days</source>
        <translation>Läuft in 30 Tagen ab</translation>
    </message>
    <message>
        <source>Expires in 90 days</source>
        <translation>Läuft in 90 Tagen ab</translation>
    </message>
    <message>
        <source>Expires in a year</source>
        <translation>Läuft in einem Jahr ab</translation>
    </message>
    <message>
        <source>Never expires</source>
        <translation>Läuft nie ab</translation>
    </message>
    <message>
        <source>Create &amp;Token for Selected User</source>
        <translation>&amp;Token für ausgewählten Benutzer erstellen</translation>
    </message>
    <message>
        <source>&amp;Revoke Token…</source>
        <translation>Token &amp;widerrufen…</translation>
    </message>
    <message>
        <source>Select the user the token acts as.</source>
        <translation>Wählen Sie den Benutzer aus, als der das Token handelt.</translation>
    </message>
    <message>
        <source>%1 is disabled: enable the user first.</source>
        <translation>%1 ist deaktiviert: aktivieren Sie den Benutzer zuerst.</translation>
    </message>
    <message>
        <source>Creates a token that acts as %1.</source>
        <translation>Erstellt ein Token, das als %1 handelt.</translation>
    </message>
    <message>
        <source>Give the token a name that says what it is for.</source>
        <translation>Geben Sie dem Token einen Namen, der seinen Zweck angibt.</translation>
    </message>
    <message>
        <source>Revoke API Token</source>
        <translation>API-Token widerrufen</translation>
    </message>
    <message>
        <source>Revoke the token &quot;%1&quot; of %2 (%3…)?</source>
        <translation>Das Token „%1“ von %2 (%3…) widerrufen?</translation>
    </message>
    <message>
        <source>Programs that use it get 401 Unauthorized from their next request on. This cannot be undone.</source>
        <translation>Programme, die es verwenden, erhalten ab ihrer nächsten Anfrage 401 Unauthorized. Dies kann nicht rückgängig gemacht werden.</translation>
    </message>
    <message>
        <source>&amp;Revoke</source>
        <translation>&amp;Widerrufen</translation>
    </message>
    <message>
        <source>Created the token &quot;%1&quot; for %2.</source>
        <translation>Token „%1“ für %2 erstellt.</translation>
    </message>
    <message>
        <source>Revoked the token &quot;%1&quot;.</source>
        <translation>Token „%1“ widerrufen.</translation>
    </message>
</context>
<context>
    <name>hcm::ui::WorkerJobsModel</name>
    <message>
        <source>Job</source>
        <translation>Job</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>Typ</translation>
    </message>
    <message>
        <source>Job status</source>
        <extracomment>the job&apos;s status now (an attempt&apos;s job may have been requeued since)</extracomment>
        <translation>Jobstatus</translation>
    </message>
    <message>
        <source>Attempt</source>
        <translation>Versuch</translation>
    </message>
    <message>
        <source>Started</source>
        <translation>Gestartet</translation>
    </message>
    <message>
        <source>Ended / lease</source>
        <extracomment>when the attempt ended, or when the lease of a held job expires</extracomment>
        <translation>Beendet / Lease</translation>
    </message>
    <message>
        <source>Attempt outcome</source>
        <translation>Ergebnis des Versuchs</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>Fehler</translation>
    </message>
    <message>
        <source>Completed</source>
        <translation>Abgeschlossen</translation>
    </message>
    <message>
        <source>Timed out</source>
        <translation>Zeitüberschreitung</translation>
    </message>
    <message>
        <source>Lost</source>
        <extracomment>the worker running the attempt stopped responding; the reaper took the job back</extracomment>
        <translation>Verloren</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>Abgebrochen</translation>
    </message>
    <message>
        <source>Interrupted</source>
        <extracomment>stopped by a worker shutdown, requeued without spending a retry</extracomment>
        <translation>Unterbrochen</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>Fehlgeschlagen</translation>
    </message>
    <message>
        <source>lease expires in %1</source>
        <translation>Lease läuft in %1 ab</translation>
    </message>
    <message>
        <source>lease expired %1 ago</source>
        <extracomment>the lease ran out: the next reaper pass requeues the job</extracomment>
        <translation>Lease vor %1 abgelaufen</translation>
    </message>
    <message>
        <source>Running</source>
        <translation>Läuft</translation>
    </message>
    <message>
        <source>Double-click to open the details of %1.</source>
        <translation>Doppelklicken, um die Details von %1 zu öffnen.</translation>
    </message>
    <message>
        <source>Not started</source>
        <extracomment>claimed by a worker that died before the job started; requeued without spending a retry</extracomment>
        <translation>Nicht gestartet</translation>
    </message>
</context>
<context>
    <name>hcm::ui::WorkerTableModel</name>
    <message>
        <source>Worker</source>
        <translation>Worker</translation>
    </message>
    <message>
        <source>Host</source>
        <translation>Host</translation>
    </message>
    <message>
        <source>PID</source>
        <translation>PID</translation>
    </message>
    <message>
        <source>State</source>
        <translation>Zustand</translation>
    </message>
    <message>
        <source>Running</source>
        <translation>Läuft</translation>
    </message>
    <message>
        <source>Started</source>
        <translation>Gestartet</translation>
    </message>
    <message>
        <source>Last heartbeat</source>
        <translation>Letzter Heartbeat</translation>
    </message>
    <message>
        <source>Version</source>
        <translation>Version</translation>
    </message>
    <message>
        <source>Stopped</source>
        <translation>Gestoppt</translation>
    </message>
    <message>
        <source>Lost (no heartbeat for %1)</source>
        <translation>Verloren (kein Heartbeat seit %1)</translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <extracomment>running jobs &quot;of&quot; the worker&apos;s concurrency</extracomment>
        <translation>%1 von %2</translation>
    </message>
    <message>
        <source>%1 ago</source>
        <translation>vor %1</translation>
    </message>
    <message>
        <source>No heartbeat since %1. The jobs it holds return to the queue when their leases expire; select the worker to see them.</source>
        <translation>Kein Heartbeat seit %1. Seine Jobs kehren in die Warteschlange zurück, wenn ihre Leases ablaufen; wählen Sie den Worker aus, um sie zu sehen.</translation>
    </message>
    <message>
        <source>Shown as lost after %1 without a heartbeat.</source>
        <extracomment>%1 a duration (&quot;1 min 40 s&quot;)</extracomment>
        <translation>Nach %1 ohne Heartbeat als verloren angezeigt.</translation>
    </message>
</context>
<context>
    <name>hcm::ui::WorkersPage</name>
    <message>
        <source>Workers register when they start and send a heartbeat every few seconds. A worker without a heartbeat is lost: its running jobs return to the queue when their lease expires. Select a worker to see its jobs.</source>
        <translation>Worker melden sich beim Start an und senden alle paar Sekunden einen Heartbeat. Ein Worker ohne Heartbeat ist verloren: Seine laufenden Jobs kehren in die Warteschlange zurück, wenn ihr Lease abläuft. Wählen Sie einen Worker aus, um seine Jobs zu sehen.</translation>
    </message>
    <message>
        <source>Select a worker to see the jobs it holds and its recent attempts that did not complete.</source>
        <translation>Wählen Sie einen Worker aus, um seine Jobs und seine letzten nicht abgeschlossenen Versuche zu sehen.</translation>
    </message>
    <message>
        <source>%1 on %2 is %3: no heartbeat for %4.</source>
        <extracomment>%1 worker id, %2 host, %3 the word &quot;lost&quot; (highlighted), %4 a duration (&quot;4 min 10 s&quot;)</extracomment>
        <translation>%1 auf %2 ist %3: kein Heartbeat seit %4.</translation>
    </message>
    <message>
        <source>lost</source>
        <translation>verloren</translation>
    </message>
    <message>
        <source>%1 on %2 stopped at %3.</source>
        <translation>%1 auf %2 wurde um %3 beendet.</translation>
    </message>
    <message>
        <source>%1 on %2 is running.</source>
        <translation>%1 auf %2 läuft.</translation>
    </message>
    <message>
        <source>Loading its jobs…</source>
        <translation>Seine Jobs werden geladen …</translation>
    </message>
    <message>
        <source>It holds no jobs.</source>
        <translation>Er hält keine Jobs.</translation>
    </message>
    <message>
        <source>It still holds 1 job; it returns to the queue when its lease expires.</source>
        <translation>Er hält noch 1 Job; dieser kehrt in die Warteschlange zurück, wenn sein Lease abläuft.</translation>
    </message>
    <message numerus="yes">
        <source>It still holds %n jobs; each returns to the queue when its lease expires.</source>
        <translation>
            <numerusform>Er hält noch %n Job; dieser kehrt in die Warteschlange zurück, wenn sein Lease abläuft.</numerusform>
            <numerusform>Er hält noch %n Jobs; jeder kehrt in die Warteschlange zurück, wenn sein Lease abläuft.</numerusform>
        </translation>
    </message>
    <message>
        <source>It holds 1 job.</source>
        <translation>Er hält 1 Job.</translation>
    </message>
    <message numerus="yes">
        <source>It holds %n jobs.</source>
        <translation>
            <numerusform>Er hält %n Job.</numerusform>
            <numerusform>Er hält %n Jobs.</numerusform>
        </translation>
    </message>
    <message>
        <source>Below, its latest attempt that did not complete.</source>
        <translation>Darunter sein letzter nicht abgeschlossener Versuch.</translation>
    </message>
    <message numerus="yes">
        <source>Below, its latest %n attempts that did not complete.</source>
        <translation>
            <numerusform>Darunter sein letzter nicht abgeschlossener Versuch.</numerusform>
            <numerusform>Darunter seine letzten %n nicht abgeschlossenen Versuche.</numerusform>
        </translation>
    </message>
    <message>
        <source>Double-click a job to open its details.</source>
        <translation>Doppelklicken Sie auf einen Job, um seine Details zu öffnen.</translation>
    </message>
    <message>
        <source>Could not load: %1</source>
        <translation>Laden fehlgeschlagen: %1</translation>
    </message>
    <message>
        <source>Show &amp;Details</source>
        <translation>&amp;Details anzeigen</translation>
    </message>
    <message>
        <source>Copy &amp;ID</source>
        <translation>&amp;ID kopieren</translation>
    </message>
    <message>
        <source>Workers</source>
        <translation>Worker</translation>
    </message>
    <message>
        <source>Jobs of the selected worker</source>
        <translation>Jobs des ausgewählten Workers</translation>
    </message>
    <message>
        <source>Running</source>
        <translation>Läuft</translation>
    </message>
    <message>
        <source>Stopped</source>
        <translation>Gestoppt</translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <extracomment>as in the Running column: running jobs &quot;of&quot; the worker&apos;s threads</extracomment>
        <translation>%1 von %2</translation>
    </message>
    <message>
        <source>%1 ago</source>
        <translation>vor %1</translation>
    </message>
</context>
</TS>
