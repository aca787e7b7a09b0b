<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="fr">
<context>
    <name>CronExpression</name>
    <message>
        <source>January</source>
        <translation>janvier</translation>
    </message>
    <message>
        <source>February</source>
        <translation>février</translation>
    </message>
    <message>
        <source>March</source>
        <translation>mars</translation>
    </message>
    <message>
        <source>April</source>
        <translation>avril</translation>
    </message>
    <message>
        <source>May</source>
        <translation>mai</translation>
    </message>
    <message>
        <source>June</source>
        <translation>juin</translation>
    </message>
    <message>
        <source>July</source>
        <translation>juillet</translation>
    </message>
    <message>
        <source>August</source>
        <translation>août</translation>
    </message>
    <message>
        <source>September</source>
        <translation>septembre</translation>
    </message>
    <message>
        <source>October</source>
        <translation>octobre</translation>
    </message>
    <message>
        <source>November</source>
        <translation>novembre</translation>
    </message>
    <message>
        <source>December</source>
        <translation>décembre</translation>
    </message>
    <message>
        <source>Sunday</source>
        <translation>dimanche</translation>
    </message>
    <message>
        <source>Monday</source>
        <translation>lundi</translation>
    </message>
    <message>
        <source>Tuesday</source>
        <translation>mardi</translation>
    </message>
    <message>
        <source>Wednesday</source>
        <translation>mercredi</translation>
    </message>
    <message>
        <source>Thursday</source>
        <translation>jeudi</translation>
    </message>
    <message>
        <source>Friday</source>
        <translation>vendredi</translation>
    </message>
    <message>
        <source>Saturday</source>
        <translation>samedi</translation>
    </message>
    <message>
        <source>minute</source>
        <translation>minute</translation>
    </message>
    <message>
        <source>hour</source>
        <translation>heure</translation>
    </message>
    <message>
        <source>day-of-month</source>
        <translation>jour du mois</translation>
    </message>
    <message>
        <source>month</source>
        <translation>mois</translation>
    </message>
    <message>
        <source>day-of-week</source>
        <translation>jour de la semaine</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1 : %2</translation>
    </message>
    <message>
        <source>a value is missing</source>
        <translation>une valeur manque</translation>
    </message>
    <message>
        <source>%1 is out of range %2–%3</source>
        <translation>%1 est hors de la plage %2–%3</translation>
    </message>
    <message>
        <source>&apos;%1&apos; is neither a number nor a name (%2–%3)</source>
        <translation>« %1 » n&apos;est ni un nombre ni un nom (%2–%3)</translation>
    </message>
    <message>
        <source>&apos;%1&apos; is not a number</source>
        <translation>« %1 » n&apos;est pas un nombre</translation>
    </message>
    <message>
        <source>empty item in the list &apos;%1&apos;</source>
        <translation>élément vide dans la liste « %1 »</translation>
    </message>
    <message>
        <source>step &apos;%1&apos; is not a number</source>
        <translation>le pas « %1 » n&apos;est pas un nombre</translation>
    </message>
    <message>
        <source>step %1 must be at least 1</source>
        <translation>le pas %1 doit valoir au moins 1</translation>
    </message>
    <message>
        <source>step %1 is larger than the range %2–%3</source>
        <translation>le pas %1 est plus grand que la plage %2–%3</translation>
    </message>
    <message>
        <source>range %1 runs backwards (%2 is after %3)</source>
        <translation>la plage %1 est inversée (%2 vient après %3)</translation>
    </message>
    <message>
        <source>%1 through %2</source>
        <translation>%1 à %2</translation>
    </message>
    <message>
        <source>%1 and %2</source>
        <translation>%1 et %2</translation>
    </message>
    <message>
        <source>the expression is empty</source>
        <translation>l&apos;expression est vide</translation>
    </message>
    <message>
        <source>unknown macro %1 (known: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)</source>
        <translation>macro inconnue %1 (connues : @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)</translation>
    </message>
    <message>
        <source>expected 5 fields (minute hour day-of-month month day-of-week), got %1</source>
        <translation>5 champs attendus (minute heure jour-du-mois mois jour-de-la-semaine), %1 reçus</translation>
    </message>
    <message>
        <source>day-of-month: %1 does not occur in month %2, so the expression never runs</source>
        <translation>jour du mois : %1 n&apos;existe pas dans le mois %2, l&apos;expression ne s&apos;exécute donc jamais</translation>
    </message>
    <message>
        <source>Every minute</source>
        <translation>Toutes les minutes</translation>
    </message>
    <message>
        <source>Every %1 minutes</source>
        <translation>Toutes les %1 minutes</translation>
    </message>
    <message>
        <source>Every minute during hour %1</source>
        <translation>Toutes les minutes pendant l&apos;heure %1</translation>
    </message>
    <message>
        <source>Every hour</source>
        <translation>Toutes les heures</translation>
    </message>
    <message>
        <source>At minute %1 past every hour</source>
        <translation>À la minute %1 de chaque heure</translation>
    </message>
    <message>
        <source>At %1</source>
        <translation>À %1</translation>
    </message>
    <message>
        <source>At minute %1 past every %2 hours</source>
        <translation>À la minute %1, toutes les %2 heures</translation>
    </message>
    <message>
        <source>At minute %1 past hour %2</source>
        <translation>À la minute %1 de l&apos;heure %2</translation>
    </message>
    <message>
        <source>on day %1 of the month or on %2</source>
        <translation>le jour %1 du mois ou le %2</translation>
    </message>
    <message>
        <source>every day</source>
        <translation>tous les jours</translation>
    </message>
    <message>
        <source>on %1</source>
        <translation>le %1</translation>
    </message>
    <message>
        <source>on day %1 of the month</source>
        <translation>le jour %1 du mois</translation>
    </message>
    <message>
        <source>on day %1 of the month if it is a %2</source>
        <translation>le jour %1 du mois s&apos;il tombe un %2</translation>
    </message>
    <message>
        <source>%1, %2</source>
        <translation>%1, %2</translation>
    </message>
    <message>
        <source>%1, in %2</source>
        <translation>%1, en %2</translation>
    </message>
</context>
<context>
    <name>Tr</name>
    <message>
        <source>&quot;%1&quot; is not NAME=N with N from 1 to 1000000.</source>
        <translation>« %1 » n&apos;est pas de la forme NOM=N avec N de 1 à 1000000.</translation>
    </message>
    <message>
        <source>Unknown limit &quot;%1&quot;: use read, create, cancel, settings-write or test-email.</source>
        <translation>Limite inconnue « %1 » : utilisez read, create, cancel, settings-write ou test-email.</translation>
    </message>
    <message>
        <source>The API cannot listen on %1:%2: %3</source>
        <translation>L&apos;API ne peut pas écouter sur %1:%2 : %3</translation>
    </message>
    <message>
        <source>--api needs ADDRESS:PORT with an IP address and a port from 0 to 65535 (0: any free port), for example 127.0.0.1:2000; got &quot;%1&quot;.</source>
        <translation>--api attend ADRESSE:PORT avec une adresse IP et un port de 0 à 65535 (0 : n&apos;importe quel port libre), par exemple 127.0.0.1:2000 ; « %1 » a été indiqué.</translation>
    </message>
    <message>
        <source>There is no endpoint %1; see /api/openapi.json.</source>
        <translation>Il n&apos;existe aucun point de terminaison %1 ; voir /api/openapi.json.</translation>
    </message>
    <message>
        <source>%1 is not allowed on %2; allowed: %3.</source>
        <translation>La méthode %1 n&apos;est pas autorisée sur %2 ; autorisées : %3.</translation>
    </message>
    <message>
        <source>The server is busy; try again in a moment.</source>
        <translation>Le serveur est occupé ; réessayez dans un instant.</translation>
    </message>
</context>
<context>
    <name>hcm-admin</name>
    <message>
        <source>Desktop console for HCM background jobs.</source>
        <translation>Console de bureau pour les tâches d&apos;arrière-plan HCM.</translation>
    </message>
    <message>
        <source>Do not run jobs in this window (hcm-worker processes run them).</source>
        <translation>Ne pas exécuter de tâches dans cette fenêtre (les processus hcm-worker s&apos;en chargent).</translation>
    </message>
    <message>
        <source>Jobs the in-process worker runs at once (default: %1).</source>
        <translation>Tâches exécutées simultanément par le worker intégré (par défaut : %1).</translation>
    </message>
    <message>
        <source>n</source>
        <translation>n</translation>
    </message>
    <message>
        <source>Milliseconds between refreshes for changes by other programs (default: 1000).</source>
        <translation>Millisecondes entre deux actualisations pour les modifications faites par d&apos;autres programmes (par défaut : 1000).</translation>
    </message>
    <message>
        <source>ms</source>
        <translation>ms</translation>
    </message>
    <message>
        <source>Also offer the diagnostic job types.</source>
        <translation>Proposer aussi les types de tâches de diagnostic.</translation>
    </message>
    <message>
        <source>HCM Admin</source>
        <translation>HCM Admin</translation>
    </message>
    <message>
        <source>--refresh-interval must be a whole number of milliseconds.</source>
        <translation>--refresh-interval doit être un nombre entier de millisecondes.</translation>
    </message>
    <message>
        <source>--concurrency must be a whole number from 1 to 256.</source>
        <translation>--concurrency doit être un nombre entier de 1 à 256.</translation>
    </message>
    <message>
        <source>Seconds the in-process worker waits for running jobs when the window closes, on SIGTERM or at logout; then they go back to the queue (default: 30).</source>
        <translation>Secondes pendant lesquelles le worker intégré attend les tâches en cours à la fermeture de la fenêtre, sur SIGTERM ou à la déconnexion ; elles retournent ensuite dans la file d&apos;attente (par défaut : 30).</translation>
    </message>
    <message>
        <source>seconds</source>
        <translation>secondes</translation>
    </message>
    <message>
        <source>--grace must be a number of seconds from 0 to 86400.</source>
        <translation>--grace doit être un nombre de secondes entre 0 et 86400.</translation>
    </message>
</context>
<context>
    <name>hcm-worker</name>
    <message>
        <source>Runs background jobs from the HCM Admin job queue.</source>
        <translation>Exécute les tâches d&apos;arrière-plan de la file d&apos;attente de HCM Admin.</translation>
    </message>
    <message>
        <source>path</source>
        <translation>chemin</translation>
    </message>
    <message>
        <source>Jobs run at the same time (default: %1).</source>
        <translation>Tâches exécutées en même temps (par défaut : %1).</translation>
    </message>
    <message>
        <source>n</source>
        <translation>n</translation>
    </message>
    <message>
        <source>Seconds between polls for due jobs, the safety net behind instant wake-ups (default: 5).</source>
        <translation>Secondes entre deux recherches de tâches dues, le filet de sécurité derrière le réveil immédiat (par défaut : 5).</translation>
    </message>
    <message>
        <source>seconds</source>
        <translation>secondes</translation>
    </message>
    <message>
        <source>Seconds a job stays reserved without a heartbeat (default: 30).</source>
        <translation>Secondes pendant lesquelles une tâche reste réservée sans signal de vie (par défaut : 30).</translation>
    </message>
    <message>
        <source>Seconds to wait for running jobs on shutdown (default: 30).</source>
        <translation>Secondes d&apos;attente des tâches en cours lors de l&apos;arrêt (par défaut : 30).</translation>
    </message>
    <message>
        <source>Name of this worker (default: host:pid:random).</source>
        <translation>Nom de ce worker (par défaut : hôte:pid:aléatoire).</translation>
    </message>
    <message>
        <source>id</source>
        <translation>id</translation>
    </message>
    <message>
        <source>Log file (default: hcm-worker.log in the log folder).</source>
        <translation>Fichier journal (par défaut : hcm-worker.log dans le dossier des journaux).</translation>
    </message>
    <message>
        <source>Folder of the log files.</source>
        <translation>Dossier des fichiers journaux.</translation>
    </message>
    <message>
        <source>Application cache folder.</source>
        <translation>Dossier de cache de l&apos;application.</translation>
    </message>
    <message>
        <source>Also run the diagnostic job types (test.noop, test.sleep, test.fail, test.record).</source>
        <translation>Exécuter aussi les types de tâches de diagnostic (test.noop, test.sleep, test.fail, test.record).</translation>
    </message>
    <message>
        <source>unexpected argument &quot;%1&quot;; see --help.</source>
        <translation>argument inattendu « %1 » ; voir --help.</translation>
    </message>
    <message>
        <source>--poll-interval must be a number of seconds from 0.01 to 3600.</source>
        <translation>--poll-interval doit être un nombre de secondes entre 0,01 et 3600.</translation>
    </message>
    <message>
        <source>--lease must be a number of seconds from 0.3 to 86400.</source>
        <translation>--lease doit être un nombre de secondes entre 0,3 et 86400.</translation>
    </message>
    <message>
        <source>--grace must be a number of seconds from 0 to 86400.</source>
        <translation>--grace doit être un nombre de secondes entre 0 et 86400.</translation>
    </message>
    <message>
        <source>Run the jobs that are due now, then exit (with status 1 when the database keeps refusing claims).</source>
        <translation>Exécuter les tâches dues maintenant, puis quitter (avec le statut 1 si la base de données continue de refuser les réservations).</translation>
    </message>
    <message>
        <source>Serve the HTTP API on ADDRESS:PORT (default 127.0.0.1:2000; port 0: any free port, printed at start). See docs/api.md.</source>
        <translation>Servir l&apos;API HTTP sur ADRESSE:PORT (par défaut 127.0.0.1:2000 ; port 0 : n&apos;importe quel port libre, affiché au démarrage). Voir docs/api.md.</translation>
    </message>
    <message>
        <source>address:port</source>
        <translation>adresse:port</translation>
    </message>
    <message>
        <source>Serve the API over HTTPS with this certificate (PEM).</source>
        <translation>Servir l&apos;API en HTTPS avec ce certificat (PEM).</translation>
    </message>
    <message>
        <source>file</source>
        <translation>fichier</translation>
    </message>
    <message>
        <source>The private key (PEM) of --api-cert.</source>
        <translation>La clé privée (PEM) de --api-cert.</translation>
    </message>
    <message>
        <source>Serve plain HTTP on an address other than loopback (behind a TLS reverse proxy on a trusted network only).</source>
        <translation>Servir en HTTP simple sur une adresse autre que loopback (uniquement derrière un proxy inverse TLS sur un réseau de confiance).</translation>
    </message>
    <message>
        <source>Requests per minute per token: read=20,create=20,cancel=20,settings-write=10,test-email=5 (name only those you change).</source>
        <translation>Requêtes par minute et par jeton : read=20,create=20,cancel=20,settings-write=10,test-email=5 (n&apos;indiquez que celles que vous modifiez).</translation>
    </message>
    <message>
        <source>limits</source>
        <translation>limites</translation>
    </message>
    <message>
        <source>Seconds a client has to send a request&apos;s head (default: 10); the body gets 30 s, an idle connection 60 s.</source>
        <translation>Secondes dont dispose un client pour envoyer l&apos;en-tête d&apos;une requête (par défaut : 10) ; le corps dispose de 30 s, une connexion inactive de 60 s.</translation>
    </message>
    <message>
        <source>Open API connections at most; more are answered 503 (default: 1000).</source>
        <translation>Nombre maximal de connexions API ouvertes ; au-delà, la réponse est 503 (par défaut : 1000).</translation>
    </message>
    <message>
        <source>--concurrency must be a whole number from 1 to 256 (0, with --api: serve the API without running jobs).</source>
        <translation>--concurrency doit être un nombre entier de 1 à 256 (0, avec --api : servir l&apos;API sans exécuter de tâches).</translation>
    </message>
    <message>
        <source>--api cannot be combined with --once.</source>
        <translation>--api ne peut pas être combiné avec --once.</translation>
    </message>
    <message>
        <source>--api-cert and --api-key go together.</source>
        <translation>--api-cert et --api-key vont ensemble.</translation>
    </message>
    <message>
        <source>cannot read the certificate %1: %2</source>
        <translation>impossible de lire le certificat %1 : %2</translation>
    </message>
    <message>
        <source>cannot read the key %1: %2</source>
        <translation>impossible de lire la clé %1 : %2</translation>
    </message>
    <message>
        <source>--api-cert and --api-key must be a PEM certificate and its unencrypted PEM private key (RSA or EC).</source>
        <translation>--api-cert et --api-key doivent être un certificat PEM et sa clé privée PEM non chiffrée (RSA ou EC).</translation>
    </message>
    <message>
        <source>--api %1 is not a loopback address: bearer tokens would cross the network in plain text, where anyone on the path can read and reuse them. Give --api-cert and --api-key for HTTPS, or put a TLS reverse proxy in front and add --api-insecure (docs/api.md).</source>
        <translation>--api %1 n&apos;est pas une adresse loopback : les jetons bearer traverseraient le réseau en clair, où quiconque sur le chemin peut les lire et les réutiliser. Indiquez --api-cert et --api-key pour le HTTPS, ou placez un proxy inverse TLS devant et ajoutez --api-insecure (docs/api.md).</translation>
    </message>
    <message>
        <source>--api-threads must be a whole number from 1 to 64.</source>
        <translation>--api-threads doit être un nombre entier de 1 à 64.</translation>
    </message>
    <message>
        <source>--api-header-timeout must be a number of seconds from 0.1 to 3600.</source>
        <translation>--api-header-timeout doit être un nombre de secondes entre 0,1 et 3600.</translation>
    </message>
    <message>
        <source>--api-max-connections must be a whole number from 1 to 100000.</source>
        <translation>--api-max-connections doit être un nombre entier de 1 à 100000.</translation>
    </message>
    <message>
        <source>Displays version information.</source>
        <translation>Afficher les informations de version.</translation>
    </message>
    <message>
        <source>Threads answering API requests, each with its own database connection (default: 8).</source>
        <translation>Threads qui répondent aux requêtes de l’API, chacun avec sa propre connexion à la base (par défaut : 8).</translation>
    </message>
</context>
<context>
    <name>hcm::Alert</name>
    <message>
        <source>Error: %1</source>
        <translation>Erreur : %1</translation>
    </message>
    <message>
        <source>Next attempt: %1</source>
        <translation>Prochain essai : %1</translation>
    </message>
    <message>
        <source>Reported by %1 at %2.</source>
        <translation>Signalé par %1 à %2.</translation>
    </message>
    <message numerus="yes">
        <source>%1 (%2) failed after %n retries</source>
        <translation>
            <numerusform>%1 (%2) a échoué après %n nouvelle tentative</numerusform>
            <numerusform>%1 (%2) a échoué après %n nouvelles tentatives</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 (%2) completed</source>
        <translation>%1 (%2) terminée</translation>
    </message>
    <message>
        <source>%1 (%2) failed, retry %3 of %4</source>
        <translation>%1 (%2) a échoué, nouvelle tentative %3 sur %4</translation>
    </message>
    <message>
        <source>the worker running %1 (%2) was lost</source>
        <extracomment>%1 job id, %2 job type</extracomment>
        <translation>le worker qui exécutait %1 (%2) a été perdu</translation>
    </message>
    <message>
        <source>%1 (%2): %3</source>
        <translation>%1 (%2) : %3</translation>
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
        <translation>1 tâche a échoué</translation>
    </message>
    <message numerus="yes">
        <source>%n jobs failed</source>
        <translation>
            <numerusform>%n tâche a échoué</numerusform>
            <numerusform>%n tâches ont échoué</numerusform>
        </translation>
    </message>
    <message>
        <source>1 job completed</source>
        <translation>1 tâche terminée</translation>
    </message>
    <message numerus="yes">
        <source>%n jobs completed</source>
        <translation>
            <numerusform>%n tâche terminée</numerusform>
            <numerusform>%n tâches terminées</numerusform>
        </translation>
    </message>
    <message>
        <source>1 job retried</source>
        <translation>1 tâche relancée</translation>
    </message>
    <message numerus="yes">
        <source>%n jobs retried</source>
        <translation>
            <numerusform>%n tâche relancée</numerusform>
            <numerusform>%n tâches relancées</numerusform>
        </translation>
    </message>
    <message>
        <source>1 worker lost</source>
        <translation>1 worker perdu</translation>
    </message>
    <message numerus="yes">
        <source>%n workers lost</source>
        <translation>
            <numerusform>%n worker perdu</numerusform>
            <numerusform>%n workers perdus</numerusform>
        </translation>
    </message>
    <message>
        <source>1 other alert</source>
        <translation>1 autre alerte</translation>
    </message>
    <message numerus="yes">
        <source>%n other alerts</source>
        <translation>
            <numerusform>%n autre alerte</numerusform>
            <numerusform>%n autres alertes</numerusform>
        </translation>
    </message>
    <message>
        <source>1 job failed after its last retry</source>
        <translation>1 tâche a échoué après sa dernière nouvelle tentative</translation>
    </message>
    <message numerus="yes">
        <source>%n jobs failed after their last retry</source>
        <translation>
            <numerusform>%n tâche a échoué après sa dernière nouvelle tentative</numerusform>
            <numerusform>%n tâches ont échoué après leur dernière nouvelle tentative</numerusform>
        </translation>
    </message>
    <message>
        <source>1 job failed and will be retried</source>
        <translation>1 tâche a échoué et sera relancée</translation>
    </message>
    <message numerus="yes">
        <source>%n jobs failed and will be retried</source>
        <translation>
            <numerusform>%n tâche a échoué et sera relancée</numerusform>
            <numerusform>%n tâches ont échoué et seront relancées</numerusform>
        </translation>
    </message>
    <message>
        <source>1 job lost its worker</source>
        <translation>1 tâche a perdu son worker</translation>
    </message>
    <message numerus="yes">
        <source>%n jobs lost their worker</source>
        <translation>
            <numerusform>%n tâche a perdu son worker</numerusform>
            <numerusform>%n tâches ont perdu leur worker</numerusform>
        </translation>
    </message>
    <message>
        <source>[HCM] Alert digest: %1</source>
        <extracomment>the subject of a digest email; %1 lists the counts (&quot;3 jobs failed, 1 job retried&quot;)</extracomment>
        <translation>[HCM] Récapitulatif des alertes : %1</translation>
    </message>
    <message>
        <source>1 alert from %1 to %2 (%3), collected for the hourly digest:</source>
        <extracomment>%1 and %2 local times, %3 the time zone</extracomment>
        <translation>1 alerte de %1 à %2 (%3), rassemblée pour le récapitulatif horaire :</translation>
    </message>
    <message numerus="yes">
        <source>%n alerts from %1 to %2 (%3), collected for the hourly digest:</source>
        <translation>
            <numerusform>%n alerte de %1 à %2 (%3), rassemblée pour le récapitulatif horaire :</numerusform>
            <numerusform>%n alertes de %1 à %2 (%3), rassemblées pour le récapitulatif horaire :</numerusform>
        </translation>
    </message>
    <message>
        <source>1 alert from %1 to %2 (%3), collected for the daily digest:</source>
        <translation>1 alerte de %1 à %2 (%3), rassemblée pour le récapitulatif quotidien :</translation>
    </message>
    <message numerus="yes">
        <source>%n alerts from %1 to %2 (%3), collected for the daily digest:</source>
        <translation>
            <numerusform>%n alerte de %1 à %2 (%3), rassemblée pour le récapitulatif quotidien :</numerusform>
            <numerusform>%n alertes de %1 à %2 (%3), rassemblées pour le récapitulatif quotidien :</numerusform>
        </translation>
    </message>
    <message>
        <source>1 alert from %1 to %2 (%3) that was waiting for a digest:</source>
        <translation>1 alerte de %1 à %2 (%3) qui attendait un récapitulatif :</translation>
    </message>
    <message numerus="yes">
        <source>%n alerts from %1 to %2 (%3) that were waiting for a digest:</source>
        <translation>
            <numerusform>%n alerte de %1 à %2 (%3) qui attendait un récapitulatif :</numerusform>
            <numerusform>%n alertes de %1 à %2 (%3) qui attendaient un récapitulatif :</numerusform>
        </translation>
    </message>
    <message>
        <source>Error: %1</source>
        <translation>Erreur : %1</translation>
    </message>
    <message>
        <source>Next attempt: %1</source>
        <translation>Prochain essai : %1</translation>
    </message>
    <message numerus="yes">
        <source>… and %n more (the jobs page lists them all).</source>
        <translation>
            <numerusform>… et %n autre (la page des tâches les liste toutes).</numerusform>
            <numerusform>… et %n autres (la page des tâches les liste toutes).</numerusform>
        </translation>
    </message>
    <message>
        <source>Reported by %1 at %2.</source>
        <translation>Signalé par %1 à %2.</translation>
    </message>
    <message>
        <source>Latest: %1</source>
        <translation>Dernière : %1</translation>
    </message>
</context>
<context>
    <name>hcm::ApiRateLimiter</name>
    <message>
        <source>counting the request for the rate limit</source>
        <translation>comptage de la requête pour la limite de débit</translation>
    </message>
    <message>
        <source>The database did not return the request count.</source>
        <translation>La base de données n&apos;a pas renvoyé le nombre de requêtes.</translation>
    </message>
    <message>
        <source>deleting past rate windows</source>
        <translation>suppression des anciennes fenêtres de limite de débit</translation>
    </message>
</context>
<context>
    <name>hcm::ApiTokenStore</name>
    <message>
        <source>There is no user &quot;%1&quot;.</source>
        <translation>Il n&apos;existe aucun utilisateur « %1 ».</translation>
    </message>
    <message>
        <source>A token needs a name of 1 to 200 characters that says what it is for.</source>
        <translation>Un jeton doit avoir un nom de 1 à 200 caractères qui indique à quoi il sert.</translation>
    </message>
    <message>
        <source>The rate limit must be from 1 to 1000000 per minute.</source>
        <translation>La limite de débit doit être comprise entre 1 et 1000000 par minute.</translation>
    </message>
    <message>
        <source>The expiry time lies in the past.</source>
        <translation>La date d&apos;expiration est dans le passé.</translation>
    </message>
    <message>
        <source>The user &quot;%1&quot; is disabled: enable it before creating a token.</source>
        <translation>L&apos;utilisateur « %1 » est désactivé : réactivez-le avant de créer un jeton.</translation>
    </message>
    <message>
        <source>storing the token</source>
        <translation>enregistrement du jeton</translation>
    </message>
    <message>
        <source>The database did not return the new token&apos;s id.</source>
        <translation>La base de données n&apos;a pas renvoyé l&apos;identifiant du nouveau jeton.</translation>
    </message>
    <message>
        <source>listing the tokens</source>
        <translation>liste des jetons</translation>
    </message>
    <message>
        <source>revoking the token</source>
        <translation>révocation du jeton</translation>
    </message>
    <message>
        <source>Token %1 is revoked already.</source>
        <translation>Le jeton %1 est déjà révoqué.</translation>
    </message>
    <message>
        <source>There is no token %1.</source>
        <translation>Il n&apos;existe aucun jeton %1.</translation>
    </message>
    <message>
        <source>The token is not valid.</source>
        <translation>Le jeton n&apos;est pas valide.</translation>
    </message>
    <message>
        <source>checking the token</source>
        <translation>vérification du jeton</translation>
    </message>
    <message>
        <source>The token was revoked.</source>
        <translation>Le jeton a été révoqué.</translation>
    </message>
    <message>
        <source>The token has expired.</source>
        <translation>Le jeton a expiré.</translation>
    </message>
    <message>
        <source>The token&apos;s user no longer exists.</source>
        <translation>L&apos;utilisateur du jeton n&apos;existe plus.</translation>
    </message>
    <message>
        <source>The token&apos;s user is disabled.</source>
        <translation>L&apos;utilisateur du jeton est désactivé.</translation>
    </message>
    <message>
        <source>The user &quot;%1&quot; has an unknown role.</source>
        <translation>L&apos;utilisateur « %1 » a un rôle inconnu.</translation>
    </message>
    <message>
        <source>recording the token&apos;s use</source>
        <translation>enregistrement de l&apos;utilisation du jeton</translation>
    </message>
</context>
<context>
    <name>hcm::AsyncAuditService</name>
    <message>
        <source>Could not write %1: %2</source>
        <translation>Impossible d&apos;écrire %1 : %2</translation>
    </message>
</context>
<context>
    <name>hcm::AuditStore</name>
    <message>
        <source>writing the audit trail</source>
        <translation>écriture du journal d&apos;audit</translation>
    </message>
    <message>
        <source>reading the audit trail</source>
        <translation>lecture du journal d&apos;audit</translation>
    </message>
    <message>
        <source>reading the audit retention</source>
        <translation>lecture de la durée de conservation de l&apos;audit</translation>
    </message>
    <message>
        <source>removing expired audit rows</source>
        <translation>suppression des lignes d&apos;audit expirées</translation>
    </message>
    <message>
        <source>The database did not return the audit row&apos;s id.</source>
        <translation>La base de données n&apos;a pas renvoyé l&apos;identifiant de la ligne d&apos;audit.</translation>
    </message>
</context>
<context>
    <name>hcm::AuditTableModel</name>
    <message>
        <source>(none)</source>
        <extracomment>an audited setting that had no value before or after the change</extracomment>
        <translation>(aucun)</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>oui</translation>
    </message>
    <message>
        <source>no</source>
        <translation>non</translation>
    </message>
    <message>
        <source>(empty)</source>
        <extracomment>an audited setting whose value was the empty text</extracomment>
        <translation>(vide)</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>Heure</translation>
    </message>
    <message>
        <source>User</source>
        <translation>Utilisateur</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>Rôle</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>Action</translation>
    </message>
    <message>
        <source>Target</source>
        <translation>Cible</translation>
    </message>
    <message>
        <source>Outcome</source>
        <translation>Résultat</translation>
    </message>
    <message>
        <source>Changes</source>
        <translation>Modifications</translation>
    </message>
    <message>
        <source>Via</source>
        <translation>Via</translation>
    </message>
    <message>
        <source>From %1</source>
        <translation>Depuis %1</translation>
    </message>
    <message>
        <source>%1: changed</source>
        <extracomment>an audited secret (password, token) was changed; its value is never shown</extracomment>
        <translation>%1 : modifié</translation>
    </message>
    <message>
        <source>%1: %2 → %3</source>
        <extracomment>an audited field&apos;s change: &quot;smtp_host: old.example.com → smtp.example.com&quot;</extracomment>
        <translation>%1 : %2 → %3</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1 : %2</translation>
    </message>
    <message numerus="yes">
        <source>%1 and %n more</source>
        <extracomment>the ids of a bulk action&apos;s targets: &quot;1, 2, 3 and 12 more&quot;</extracomment>
        <translation>
            <numerusform>%1 et %n autre</numerusform>
            <numerusform>%1 et %n autres</numerusform>
        </translation>
    </message>
    <message>
        <source>Refused</source>
        <extracomment>outcome of an audited action: it was carried out, or refused for lack of permission</extracomment>
        <translation>Refusée</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>Effectuée</translation>
    </message>
    <message>
        <source>Desktop</source>
        <extracomment>the interface an audited action came through: the desktop program</extracomment>
        <translation>Bureau</translation>
    </message>
    <message>
        <source>hcmctl</source>
        <translation>hcmctl</translation>
    </message>
    <message>
        <source>HTTP API</source>
        <translation>API HTTP</translation>
    </message>
    <message>
        <source>Worker</source>
        <translation>Worker</translation>
    </message>
    <message>
        <source>System</source>
        <translation>Système</translation>
    </message>
</context>
<context>
    <name>hcm::CacheFlushHandler</name>
    <message>
        <source>measuring the cache table</source>
        <translation>mesure de la table de cache</translation>
    </message>
    <message>
        <source>clearing the cache table</source>
        <translation>vidage de la table de cache</translation>
    </message>
</context>
<context>
    <name>hcm::CleanupHandler</name>
    <message>
        <source>deleting expired cache entries</source>
        <translation>suppression des entrées de cache expirées</translation>
    </message>
</context>
<context>
    <name>hcm::Database</name>
    <message>
        <source>%1 is a folder, not a database file.</source>
        <translation>%1 est un dossier, pas un fichier de base de données.</translation>
    </message>
    <message>
        <source>opening %1</source>
        <translation>ouverture de %1</translation>
    </message>
    <message>
        <source>the database is busy: another program kept it locked for too long (%1)</source>
        <translation>la base de données est occupée : un autre programme l&apos;a verrouillée trop longtemps (%1)</translation>
    </message>
    <message>
        <source>the database file is read-only: check its permissions (%1)</source>
        <translation>le fichier de base de données est en lecture seule : vérifiez ses droits d&apos;accès (%1)</translation>
    </message>
    <message>
        <source>the disk is full: free some space and try again (%1)</source>
        <translation>le disque est plein : libérez de l&apos;espace et réessayez (%1)</translation>
    </message>
    <message>
        <source>Database error: %1</source>
        <translation>Erreur de base de données : %1</translation>
    </message>
    <message>
        <source>Database error while %1: %2</source>
        <translation>Erreur de base de données pendant : %1 : %2</translation>
    </message>
    <message>
        <source>Qt&apos;s PostgreSQL driver (QPSQL) is not installed: install the package libqt6sql6-psql.</source>
        <translation>Le pilote PostgreSQL de Qt (QPSQL) n&apos;est pas installé : installez le paquet libqt6sql6-psql.</translation>
    </message>
    <message>
        <source>Cannot connect to %1: %2</source>
        <translation>Impossible de se connecter à %1 : %2</translation>
    </message>
    <message>
        <source>configuring the connection to %1</source>
        <translation>configuration de la connexion à %1</translation>
    </message>
    <message>
        <source>checking the connection</source>
        <translation>vérification de la connexion</translation>
    </message>
    <message>
        <source>the connection to the database server was lost (%1)</source>
        <translation>la connexion au serveur de base de données a été perdue (%1)</translation>
    </message>
    <message>
        <source>configuring %1</source>
        <translation>configuration de %1</translation>
    </message>
    <message>
        <source>reading %1</source>
        <translation>lecture de %1</translation>
    </message>
    <message>
        <source>starting a transaction</source>
        <translation>démarrage d&apos;une transaction</translation>
    </message>
    <message>
        <source>committing</source>
        <translation>validation</translation>
    </message>
    <message>
        <source>preparing a statement</source>
        <translation>préparation d&apos;une requête</translation>
    </message>
    <message>
        <source>Database error while %1: the connection is not an open SQLite database.</source>
        <translation>Erreur de base de données pendant : %1 : la connexion n’est pas une base SQLite ouverte.</translation>
    </message>
    <message>
        <source>%1 is not an SQLite database file, or it is damaged (%2). Choose another file with --db, or move this one away.</source>
        <translation>%1 n&apos;est pas un fichier de base de données SQLite, ou il est endommagé (%2). Choisissez un autre fichier avec --db, ou déplacez celui-ci.</translation>
    </message>
    <message>
        <source>%1 is not an SQLite database file: it is a device, a pipe or a socket.</source>
        <translation>%1 n&apos;est pas un fichier de base de données SQLite : c&apos;est un périphérique, un tube ou un socket.</translation>
    </message>
    <message>
        <source>Cannot open %1: %2.</source>
        <translation>Impossible d&apos;ouvrir %1 : %2.</translation>
    </message>
    <message>
        <source>There is no database at %1; create it with &quot;hcmctl db migrate --db %1&quot; (or start hcm-admin or hcm-worker with it).</source>
        <translation>Il n&apos;y a pas de base de données à %1 ; créez-la avec « hcmctl db migrate --db %1 » (ou lancez hcm-admin ou hcm-worker avec elle).</translation>
    </message>
    <message>
        <source>Cannot create the folder %1 for the database: %2</source>
        <translation>Impossible de créer le dossier %1 de la base de données : %2</translation>
    </message>
    <message>
        <source>the check returned nothing</source>
        <translation>la vérification n&apos;a rien renvoyé</translation>
    </message>
    <message>
        <source>The database file %1 is damaged (%2). Stop every program that uses it and restore it from a backup, or recover what is readable with: sqlite3 &quot;%1&quot; .recover | sqlite3 recovered.db</source>
        <translation>Le fichier de base de données %1 est endommagé (%2). Arrêtez tous les programmes qui l&apos;utilisent et restaurez-le depuis une sauvegarde, ou récupérez ce qui est lisible avec : sqlite3 &quot;%1&quot; .recover | sqlite3 recovered.db</translation>
    </message>
    <message>
        <source>the database file could not be read or written (%1)</source>
        <translation>le fichier de base de données n&apos;a pas pu être lu ou écrit (%1)</translation>
    </message>
    <message>
        <source>rolling back</source>
        <translation>annulation des modifications</translation>
    </message>
    <message>
        <source>The database ended the transaction unexpectedly.</source>
        <translation>La base de données a mis fin à la transaction de façon inattendue.</translation>
    </message>
    <message>
        <source>The program is shutting down; the change was not made.</source>
        <translation>Le programme s’arrête ; la modification n’a pas été faite.</translation>
    </message>
</context>
<context>
    <name>hcm::DatabaseInfo</name>
    <message>
        <source>reading the SQLite version</source>
        <translation>lecture de la version de SQLite</translation>
    </message>
    <message>
        <source>reading the journal mode</source>
        <translation>lecture du mode de journalisation</translation>
    </message>
    <message>
        <source>reading the server&apos;s details</source>
        <translation>lecture des informations du serveur</translation>
    </message>
    <message>
        <source>reading the applied migrations</source>
        <translation>lecture des migrations appliquées</translation>
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
        <translation>« %1 » n&apos;est pas une adresse PostgreSQL valide (%2). Utilisez postgresql://user:password@host:port/database.</translation>
    </message>
    <message>
        <source>The database name &quot;%1&quot; contains a slash.</source>
        <translation>Le nom de base de données « %1 » contient une barre oblique.</translation>
    </message>
    <message>
        <source>No PostgreSQL database named: put it in the address (postgresql://host/dbname) or set PGDATABASE.</source>
        <translation>Aucune base PostgreSQL indiquée : mettez-la dans l&apos;adresse (postgresql://host/dbname) ou définissez PGDATABASE.</translation>
    </message>
    <message>
        <source>Unknown database address &quot;%1&quot;: give a file path for SQLite or a postgresql:// URL.</source>
        <translation>Adresse de base de données inconnue « %1 » : indiquez un chemin de fichier pour SQLite ou une URL postgresql://.</translation>
    </message>
    <message>
        <source>PostgreSQL %1@%2:%3/%4</source>
        <translation>PostgreSQL %1@%2:%3/%4</translation>
    </message>
    <message>
        <source>The database address has an unknown option &quot;%1&quot;. Allowed options: host, port, user, password, dbname, %2.</source>
        <translation>L&apos;adresse de la base de données contient l&apos;option inconnue « %1 ». Options permises : host, port, user, password, dbname, %2.</translation>
    </message>
    <message>
        <source>The option %1 of the database address contains a semicolon or a control character, which are not allowed.</source>
        <translation>L&apos;option %1 de l&apos;adresse de la base de données contient un point-virgule ou un caractère de contrôle, ce qui n&apos;est pas permis.</translation>
    </message>
    <message>
        <source>The option %1 of the database address must be one of %2; &quot;%3&quot; was given.</source>
        <translation>L&apos;option %1 de l&apos;adresse de la base de données doit valoir l&apos;une de ces valeurs : %2 ; « %3 » a été indiqué.</translation>
    </message>
    <message>
        <source>The option %1 of the database address must be a whole number from %2 to %3; &quot;%4&quot; was given.</source>
        <translation>L&apos;option %1 de l&apos;adresse de la base de données doit être un nombre entier de %2 à %3 ; « %4 » a été indiqué.</translation>
    </message>
    <message>
        <source>The option %1 of the database address needs a file path.</source>
        <translation>L&apos;option %1 de l&apos;adresse de la base de données demande un chemin de fichier.</translation>
    </message>
    <message>
        <source>The option %1 of the database address needs a text of 1 to %2 bytes.</source>
        <translation>L&apos;option %1 de l&apos;adresse de la base de données demande un texte de 1 à %2 octets.</translation>
    </message>
    <message>
        <source>The port &quot;%1&quot; in the database address is not a number from 1 to 65535.</source>
        <translation>Le port « %1 » de l&apos;adresse de la base de données n&apos;est pas un nombre de 1 à 65535.</translation>
    </message>
    <message>
        <source>The option %1 is given twice in the database address.</source>
        <translation>L&apos;option %1 figure deux fois dans l&apos;adresse de la base de données.</translation>
    </message>
    <message>
        <source>the host is not an IPv6 address in brackets</source>
        <translation>l&apos;hôte n&apos;est pas une adresse IPv6 entre crochets</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a valid PostgreSQL address: it has an &apos;@&apos; after the first &apos;/&apos;. Write a &apos;/&apos; in the user name or password as %2, an &apos;@&apos; in the database name as %3; or leave the password out of the address and set PGPASSWORD or ~/.pgpass.</source>
        <extracomment>%2 and %3 are the percent-encodings of / and @ (&quot;%2F&quot;)</extracomment>
        <translation>« %1 » n&apos;est pas une adresse PostgreSQL valide : elle contient un « @ » après le premier « / ». Écrivez un « / » dans le nom d&apos;utilisateur ou le mot de passe sous la forme %2, un « @ » dans le nom de la base sous la forme %3 ; ou retirez le mot de passe de l&apos;adresse et définissez PGPASSWORD ou ~/.pgpass.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a valid PostgreSQL address: the user name or password has characters that must be percent-encoded, such as %2 for a space or %3 for %. Or leave the password out of the address and set PGPASSWORD or ~/.pgpass.</source>
        <extracomment>%2 and %3 are percent-encodings (of a space and of %)</extracomment>
        <translation>« %1 » n&apos;est pas une adresse PostgreSQL valide : le nom d&apos;utilisateur ou le mot de passe contient des caractères à encoder en pourcentage, comme %2 pour une espace ou %3 pour %. Ou retirez le mot de passe de l&apos;adresse et définissez PGPASSWORD ou ~/.pgpass.</translation>
    </message>
    <message>
        <source>the host name has characters a host name cannot have</source>
        <translation>le nom d&apos;hôte contient des caractères qu&apos;un nom d&apos;hôte ne peut pas contenir</translation>
    </message>
    <message>
        <source>a PostgreSQL address has no part after &apos;#&apos;: write a &apos;#&apos; as %1</source>
        <translation>une adresse PostgreSQL n&apos;a pas de partie après « # » : écrivez un « # » sous la forme %1</translation>
    </message>
    <message>
        <source>the database name has a &apos;%&apos; that is not an escape such as %1</source>
        <translation>le nom de la base contient un « % » qui n&apos;est pas une séquence d&apos;échappement comme %1</translation>
    </message>
    <message>
        <source>an option has a &apos;%&apos; that is not an escape such as %1</source>
        <translation>une option contient un « % » qui n&apos;est pas une séquence d&apos;échappement comme %1</translation>
    </message>
    <message>
        <source>The database path &quot;%1&quot; starts with &quot;~&quot; followed by a name, which this program does not expand: write the full path (or ./%1 for a file whose name starts with &quot;~&quot;).</source>
        <translation>Le chemin de base de données « %1 » commence par « ~ » suivi d&apos;un nom, ce que ce programme ne développe pas : écrivez le chemin complet (ou ./%1 pour un fichier dont le nom commence par « ~ »).</translation>
    </message>
</context>
<context>
    <name>hcm::DbOptimizeHandler</name>
    <message>
        <source>listing the tables</source>
        <translation>liste des tables</translation>
    </message>
    <message>
        <source>updating the planner statistics</source>
        <translation>mise à jour des statistiques du planificateur</translation>
    </message>
    <message>
        <source>rebuilding the database file</source>
        <translation>reconstruction du fichier de base de données</translation>
    </message>
    <message>
        <source>optimizing the database</source>
        <translation>optimisation de la base de données</translation>
    </message>
    <message>
        <source>writing the log back to the database file</source>
        <translation>réécriture du journal dans le fichier de base de données</translation>
    </message>
    <message>
        <source>reading PRAGMA %1</source>
        <translation>lecture de PRAGMA %1</translation>
    </message>
    <message>
        <source>PRAGMA %1 returned no value.</source>
        <translation>PRAGMA %1 n&apos;a renvoyé aucune valeur.</translation>
    </message>
    <message>
        <source>releasing free pages</source>
        <translation>libération des pages libres</translation>
    </message>
</context>
<context>
    <name>hcm::DeliveryStore</name>
    <message>
        <source>logging a notification delivery</source>
        <translation>journalisation d&apos;un envoi de notification</translation>
    </message>
    <message>
        <source>reading notification deliveries</source>
        <translation>lecture des envois de notifications</translation>
    </message>
</context>
<context>
    <name>hcm::DigestStore</name>
    <message>
        <source>reading an alert digest</source>
        <translation>lecture d&apos;un récapitulatif d&apos;alertes</translation>
    </message>
    <message>
        <source>scheduling an alert digest</source>
        <translation>planification d&apos;un récapitulatif d&apos;alertes</translation>
    </message>
    <message>
        <source>collecting an alert for the digest</source>
        <translation>ajout d&apos;une alerte au récapitulatif</translation>
    </message>
    <message>
        <source>The alert digest could not be scheduled: every delivery time tried had started already.</source>
        <translation>Le récapitulatif d&apos;alertes n&apos;a pas pu être planifié : chaque heure d&apos;envoi essayée avait déjà commencé.</translation>
    </message>
    <message>
        <source>The alert digest due at %1 vanished.</source>
        <translation>Le récapitulatif d&apos;alertes prévu pour %1 a disparu.</translation>
    </message>
    <message>
        <source>starting an alert digest</source>
        <translation>démarrage d&apos;un récapitulatif d&apos;alertes</translation>
    </message>
    <message>
        <source>reading the waiting alert digests</source>
        <translation>lecture des récapitulatifs en attente</translation>
    </message>
    <message>
        <source>taking over waiting alerts</source>
        <translation>reprise des alertes en attente</translation>
    </message>
    <message>
        <source>reading the alerts of a digest</source>
        <translation>lecture des alertes d&apos;un récapitulatif</translation>
    </message>
    <message>
        <source>marking the alerts of a digest delivered</source>
        <translation>marquage des alertes d&apos;un récapitulatif comme envoyées</translation>
    </message>
    <message>
        <source>marking a digest delivered</source>
        <translation>marquage d&apos;un récapitulatif comme envoyé</translation>
    </message>
    <message>
        <source>pruning delivered digests</source>
        <translation>nettoyage des récapitulatifs envoyés</translation>
    </message>
    <message>
        <source>marking a digest failed</source>
        <translation>marquage d&apos;un récapitulatif comme échoué</translation>
    </message>
    <message>
        <source>reading the alerts waiting for a digest</source>
        <translation>lecture des alertes en attente de récapitulatif</translation>
    </message>
    <message>
        <source>reading the alert digests</source>
        <translation>lecture des récapitulatifs d&apos;alertes</translation>
    </message>
    <message>
        <source>reading the notification settings</source>
        <translation>lecture des paramètres de notification</translation>
    </message>
    <message>
        <source>Digests were switched off meanwhile: the alerts go out one by one.</source>
        <translation>Les récapitulatifs ont été désactivés entre-temps : les alertes partent une par une.</translation>
    </message>
</context>
<context>
    <name>hcm::EmailSendHandler</name>
    <message>
        <source>Every recipient already received it.</source>
        <translation>Tous les destinataires l&apos;ont déjà reçu.</translation>
    </message>
    <message>
        <source>The server did not accept this recipient.</source>
        <translation>Le serveur n&apos;a pas accepté ce destinataire.</translation>
    </message>
</context>
<context>
    <name>hcm::HttpExchange</name>
    <message>
        <source>The extra trusted CA file %1 holds no PEM certificate.</source>
        <translation>Le fichier d&apos;AC de confiance supplémentaire %1 ne contient aucun certificat PEM.</translation>
    </message>
    <message>
        <source>%1 did not answer within %2 s.</source>
        <translation>%1 n&apos;a pas répondu dans les %2 s.</translation>
    </message>
    <message>
        <source>The request to %1 was cancelled.</source>
        <translation>La requête vers %1 a été annulée.</translation>
    </message>
    <message>
        <source>The certificate of %1 is not trusted (%2). Install the issuing CA on this machine, or name its file as the extra trusted CA in the notification settings.</source>
        <translation>Le certificat de %1 n&apos;est pas approuvé (%2). Installez l&apos;AC émettrice sur cette machine, ou indiquez son fichier comme AC de confiance supplémentaire dans les paramètres de notification.</translation>
    </message>
    <message>
        <source>The host name %1 could not be resolved.</source>
        <translation>Le nom d&apos;hôte %1 n&apos;a pas pu être résolu.</translation>
    </message>
    <message>
        <source>%1 refused the connection.</source>
        <translation>%1 a refusé la connexion.</translation>
    </message>
    <message>
        <source>The request to %1 failed: %2</source>
        <translation>La requête vers %1 a échoué : %2</translation>
    </message>
</context>
<context>
    <name>hcm::IdempotencyKeys</name>
    <message>
        <source>storing the idempotency key</source>
        <translation>enregistrement de la clé d&apos;idempotence</translation>
    </message>
    <message>
        <source>reading the idempotency key</source>
        <translation>lecture de la clé d&apos;idempotence</translation>
    </message>
    <message>
        <source>replacing an expired idempotency key</source>
        <translation>remplacement d&apos;une clé d&apos;idempotence expirée</translation>
    </message>
    <message>
        <source>deleting expired idempotency keys</source>
        <translation>suppression des clés d&apos;idempotence expirées</translation>
    </message>
</context>
<context>
    <name>hcm::Identity</name>
    <message>
        <source>finding the role of this login</source>
        <translation>recherche du rôle de cette connexion</translation>
    </message>
    <message>
        <source>The database login &quot;%1&quot; is in none of the groups hcm_admin, hcm_operator and hcm_viewer, so it may do nothing here. A system administrator runs, for example, GRANT hcm_viewer TO %1; (see docs/postgresql.md, &quot;Adding a person&quot;).</source>
        <translation>La connexion « %1 » à la base de données n&apos;appartient à aucun des groupes hcm_admin, hcm_operator et hcm_viewer ; elle ne peut donc rien faire ici. Un administrateur système exécute par exemple GRANT hcm_viewer TO %1; (voir docs/postgresql.md, « Adding a person »).</translation>
    </message>
    <message>
        <source>Signed in as %1 — %2</source>
        <translation>Connecté en tant que %1 — %2</translation>
    </message>
    <message>
        <source>The user &quot;%1&quot; has no account in %2. A system administrator of this database runs: hcmctl --db %2 users add %1 --role viewer (or operator, systemadmin).</source>
        <translation>L&apos;utilisateur « %1 » n&apos;a pas de compte dans %2. Un administrateur système de cette base de données exécute : hcmctl --db %2 users add %1 --role viewer (ou operator, systemadmin).</translation>
    </message>
    <message>
        <source>The account &quot;%1&quot; is disabled. A system administrator of this database can enable it again: hcmctl users enable %1.</source>
        <translation>Le compte « %1 » est désactivé. Un administrateur système de cette base de données peut le réactiver : hcmctl users enable %1.</translation>
    </message>
</context>
<context>
    <name>hcm::Job</name>
    <message>
        <source>Queued</source>
        <translation>En attente</translation>
    </message>
    <message>
        <source>Processing</source>
        <translation>En cours</translation>
    </message>
    <message>
        <source>Completed</source>
        <translation>Terminée</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>Échouée</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>Annulée</translation>
    </message>
    <message>
        <source>Low</source>
        <translation>Basse</translation>
    </message>
    <message>
        <source>Normal</source>
        <translation>Normale</translation>
    </message>
    <message>
        <source>High</source>
        <translation>Haute</translation>
    </message>
    <message>
        <source>Critical</source>
        <translation>Critique</translation>
    </message>
</context>
<context>
    <name>hcm::JobErrors</name>
    <message>
        <source>Cancelled before it started.</source>
        <translation>Annulée avant son démarrage.</translation>
    </message>
    <message>
        <source>The worker stopped before the job started.</source>
        <translation>Le worker s&apos;est arrêté avant le démarrage de la tâche.</translation>
    </message>
    <message>
        <source>This worker has no handler for job type &quot;%1&quot;.</source>
        <translation>Ce worker n&apos;a pas de gestionnaire pour le type de tâche « %1 ».</translation>
    </message>
    <message>
        <source>The handler failed unexpectedly: %1</source>
        <translation>Le gestionnaire a échoué de manière inattendue : %1</translation>
    </message>
    <message>
        <source>The handler failed unexpectedly.</source>
        <translation>Le gestionnaire a échoué de manière inattendue.</translation>
    </message>
    <message>
        <source>Cancelled while running: %1</source>
        <translation>Annulée pendant l&apos;exécution : %1</translation>
    </message>
    <message>
        <source>Timed out after %1 s, the limit for %2 jobs: %3</source>
        <translation>Délai dépassé après %1 s (limite des tâches %2) : %3</translation>
    </message>
    <message>
        <source>Stopped: this worker lost the job&apos;s lease: %1</source>
        <translation>Arrêtée : ce worker a perdu le bail de la tâche : %1</translation>
    </message>
    <message>
        <source>Interrupted by a worker shutdown: %1</source>
        <translation>Interrompue par l&apos;arrêt d&apos;un worker : %1</translation>
    </message>
    <message>
        <source>The worker stopped while the job was running.</source>
        <translation>Le worker s&apos;est arrêté pendant l&apos;exécution de la tâche.</translation>
    </message>
    <message>
        <source>The worker running this job stopped responding (its lease expired).</source>
        <translation>Le worker qui exécutait cette tâche a cessé de répondre (son bail a expiré).</translation>
    </message>
    <message>
        <source>The worker running this job was restarted before it finished.</source>
        <translation>Le worker qui exécutait cette tâche a été redémarré avant qu&apos;elle ne soit terminée.</translation>
    </message>
    <message>
        <source>The worker that had claimed this job stopped responding before the job started; it goes back to the queue without spending a retry.</source>
        <translation>Le worker qui avait réservé cette tâche a cessé de répondre avant son démarrage ; elle retourne dans la file d&apos;attente sans consommer de nouvelle tentative.</translation>
    </message>
    <message>
        <source>The worker that had claimed this job was restarted before the job started; it goes back to the queue without spending a retry.</source>
        <translation>Le worker qui avait réservé cette tâche a été redémarré avant son démarrage ; elle retourne dans la file d&apos;attente sans consommer de nouvelle tentative.</translation>
    </message>
    <message>
        <source>Cancelled by %1 before it ran.</source>
        <translation>Annulée par %1 avant son exécution.</translation>
    </message>
    <message>
        <source>Unknown cache flush action &quot;%1&quot; (expected full or expired).</source>
        <translation>Action de vidage du cache inconnue « %1 » (attendu : full ou expired).</translation>
    </message>
    <message>
        <source>max_age_seconds must not be negative.</source>
        <translation>max_age_seconds ne doit pas être négatif.</translation>
    </message>
    <message>
        <source>Refusing to flush %1: the cache folder is the root of a file system.</source>
        <translation>Vidage de %1 refusé : le dossier de cache est la racine d&apos;un système de fichiers.</translation>
    </message>
    <message>
        <source>Stopped after removing %1 of %2 cache files.</source>
        <translation>Arrêtée après la suppression de %1 fichiers de cache sur %2.</translation>
    </message>
    <message>
        <source>Stopped after removing %1 cache files.</source>
        <translation>Arrêtée après la suppression de %1 fichiers de cache.</translation>
    </message>
    <message>
        <source>Cannot delete the cache file %1: %2.</source>
        <translation>Impossible de supprimer le fichier de cache %1 : %2.</translation>
    </message>
    <message>
        <source>Cannot delete the cache folder %1: check its permissions.</source>
        <translation>Impossible de supprimer le dossier de cache %1 : vérifiez ses droits d&apos;accès.</translation>
    </message>
    <message>
        <source>Unknown cleanup type &quot;%1&quot; (expected all, jobs, attempts, cache or audit).</source>
        <translation>Type de nettoyage inconnu « %1 » (attendu : all, jobs, attempts, cache ou audit).</translation>
    </message>
    <message>
        <source>older_than_days must be a whole number of days, 0 or more.</source>
        <translation>older_than_days doit être un nombre entier de jours, 0 ou plus.</translation>
    </message>
    <message>
        <source>Stopped after deleting %1 rows.</source>
        <translation>Arrêtée après la suppression de %1 lignes.</translation>
    </message>
    <message>
        <source>Unknown optimize mode &quot;%1&quot; (expected vacuum, incremental or analyze).</source>
        <translation>Mode d&apos;optimisation inconnu « %1 » (attendu : vacuum, incremental ou analyze).</translation>
    </message>
    <message>
        <source>reindex must be true or false.</source>
        <translation>reindex doit valoir true ou false.</translation>
    </message>
    <message>
        <source>bloat_threshold must be a number from 0 to 1 (0.3 means 30 %).</source>
        <translation>bloat_threshold doit être un nombre de 0 à 1 (0.3 signifie 30 %).</translation>
    </message>
    <message>
        <source>lock_timeout_ms must be a whole number of milliseconds from 1 to 3600000.</source>
        <translation>lock_timeout_ms doit être un nombre entier de millisecondes de 1 à 3600000.</translation>
    </message>
    <message>
        <source>min_index_bytes must be a whole number of bytes, 0 or more.</source>
        <translation>min_index_bytes doit être un nombre entier d&apos;octets, 0 ou plus.</translation>
    </message>
    <message>
        <source>Stopped after %1 of %2 tables.</source>
        <translation>Arrêtée après %1 tables sur %2.</translation>
    </message>
    <message>
        <source>Stopped after %1 of %2 optimization steps.</source>
        <translation>Arrêtée après %1 étapes d&apos;optimisation sur %2.</translation>
    </message>
    <message>
        <source>No table could be optimized: every table the role %1 may vacuum was locked by another session for longer than %2 ms.</source>
        <translation>Aucune table n&apos;a pu être optimisée : chaque table sur laquelle le rôle %1 peut lancer un VACUUM était verrouillée par une autre session pendant plus de %2 ms.</translation>
    </message>
    <message>
        <source>No table could be optimized: the role %1 owns none of the %2 tables (they belong to %3). Run db_optimize on a worker connected as the owner role, as docs/postgresql.md describes.</source>
        <translation>Aucune table n&apos;a pu être optimisée : le rôle %1 ne possède aucune des %2 tables (elles appartiennent à %3). Exécutez db_optimize sur un worker connecté avec le rôle propriétaire, comme le décrit docs/postgresql.md.</translation>
    </message>
    <message>
        <source>keep and min_size_bytes must not be negative.</source>
        <translation>keep et min_size_bytes ne doivent pas être négatifs.</translation>
    </message>
    <message>
        <source>Cannot open the log folder %1: %2.</source>
        <translation>Impossible d&apos;ouvrir le dossier des journaux %1 : %2.</translation>
    </message>
    <message>
        <source>Cannot lock the log folder %1: %2.</source>
        <translation>Impossible de verrouiller le dossier des journaux %1 : %2.</translation>
    </message>
    <message>
        <source>Stopped while another rotation of %1 was running.</source>
        <translation>Arrêtée pendant qu&apos;une autre rotation de %1 était en cours.</translation>
    </message>
    <message>
        <source>Stopped after rotating %1 of %2 log files.</source>
        <translation>Arrêtée après la rotation de %1 fichiers journaux sur %2.</translation>
    </message>
    <message>
        <source>Cannot open the log file %1: %2.</source>
        <translation>Impossible d&apos;ouvrir le fichier journal %1 : %2.</translation>
    </message>
    <message>
        <source>Cannot read the log file %1: %2.</source>
        <translation>Impossible de lire le fichier journal %1 : %2.</translation>
    </message>
    <message>
        <source>Cannot truncate the log file %1 after archiving it: %2.</source>
        <translation>Impossible de tronquer le fichier journal %1 après l&apos;avoir archivé : %2.</translation>
    </message>
    <message>
        <source>Cannot delete the old log archive %1: %2.</source>
        <translation>Impossible de supprimer l&apos;ancienne archive de journal %1 : %2.</translation>
    </message>
    <message>
        <source>Email delivery is not configured: set up SMTP in the notification settings first.</source>
        <translation>L&apos;envoi d&apos;e-mails n&apos;est pas configuré : configurez d&apos;abord SMTP dans les paramètres de notification.</translation>
    </message>
    <message numerus="yes">
        <source>%n delivery(s) failed: %1</source>
        <translation>
            <numerusform>Échec de %n envoi : %1</numerusform>
            <numerusform>Échec de %n envois : %1</numerusform>
        </translation>
    </message>
    <message>
        <source>Stopped before every channel was tried.</source>
        <translation>Arrêtée avant que tous les canaux aient été essayés.</translation>
    </message>
    <message>
        <source>Stopped after %1 ms of %2 ms.</source>
        <translation>Arrêtée après %1 ms sur %2 ms.</translation>
    </message>
</context>
<context>
    <name>hcm::JobImport</name>
    <message>
        <source>not valid JSON (%1 at character %2)</source>
        <translation>JSON non valide (%1 au caractère %2)</translation>
    </message>
    <message>
        <source>expected one job, a JSON object, per line (jq -c &apos;.[]&apos; turns the array that &quot;hcmctl --json jobs list&quot; prints into lines)</source>
        <translation>une tâche par ligne, sous forme d&apos;objet JSON, attendue (jq -c &apos;.[]&apos; transforme en lignes le tableau qu&apos;affiche « hcmctl --json jobs list »)</translation>
    </message>
    <message>
        <source>unknown field %1</source>
        <translation>champ inconnu %1</translation>
    </message>
    <message>
        <source>%1 must be a whole number from %2 to %3</source>
        <translation>%1 doit être un nombre entier de %2 à %3</translation>
    </message>
    <message>
        <source>%1 must be an ISO 8601 time such as &quot;2026-01-07T10:15:32.123Z&quot; or null</source>
        <translation>%1 doit être une heure ISO 8601 telle que &quot;2026-01-07T10:15:32.123Z&quot; ou null</translation>
    </message>
    <message>
        <source>%1 must be text or null</source>
        <translation>%1 doit être du texte ou null</translation>
    </message>
    <message>
        <source>id must be a job id such as &quot;job_12&quot; or 12</source>
        <translation>id doit être un identifiant de tâche tel que &quot;job_12&quot; ou 12</translation>
    </message>
    <message>
        <source>status is missing (queued, completed, failed or cancelled)</source>
        <translation>status est absent (queued, completed, failed ou cancelled)</translation>
    </message>
    <message>
        <source>unknown status %1</source>
        <translation>statut inconnu %1</translation>
    </message>
    <message>
        <source>status &quot;processing&quot; cannot be imported: no worker here runs the job; import it as queued (to run again) or as failed</source>
        <translation>le statut « processing » ne peut pas être importé : aucun worker ici n&apos;exécute la tâche ; importez-la comme queued (pour l&apos;exécuter à nouveau) ou comme failed</translation>
    </message>
    <message>
        <source>job_type is missing</source>
        <translation>job_type est absent</translation>
    </message>
    <message>
        <source>job_type is longer than 200 characters</source>
        <translation>job_type dépasse 200 caractères</translation>
    </message>
    <message>
        <source>unknown job type %1 for a queued job (finished jobs may keep any type; &quot;hcmctl jobs types&quot; lists the types that run)</source>
        <translation>type de tâche inconnu %1 pour une tâche en attente (les tâches terminées peuvent garder n&apos;importe quel type ; « hcmctl jobs types » liste les types exécutables)</translation>
    </message>
    <message>
        <source>priority must be low, normal, high or critical</source>
        <translation>priority doit être low, normal, high ou critical</translation>
    </message>
    <message>
        <source>payload must be a JSON object</source>
        <translation>payload doit être un objet JSON</translation>
    </message>
    <message>
        <source>the payload is larger than %1 KiB</source>
        <translation>le payload dépasse %1 Kio</translation>
    </message>
    <message>
        <source>the payload does not suit %1: %2</source>
        <translation>le payload ne convient pas à %1 : %2</translation>
    </message>
    <message>
        <source>result must be a JSON object or null</source>
        <translation>result doit être un objet JSON ou null</translation>
    </message>
    <message>
        <source>completed_at is missing: a %1 job needs the time it finished</source>
        <translation>completed_at est absent : une tâche au statut %1 a besoin de l&apos;heure à laquelle elle s&apos;est terminée</translation>
    </message>
    <message>
        <source>created_by must be text</source>
        <translation>created_by doit être du texte</translation>
    </message>
    <message>
        <source>cancel_requested must be true or false</source>
        <translation>cancel_requested doit être true ou false</translation>
    </message>
    <message>
        <source>progress must be a number from 0 to 1</source>
        <translation>progress doit être un nombre de 0 à 1</translation>
    </message>
    <message>
        <source>looking for jobs that exist already</source>
        <translation>recherche des tâches déjà existantes</translation>
    </message>
    <message>
        <source>line %1: %2 exists already in the database</source>
        <translation>ligne %1 : %2 existe déjà dans la base de données</translation>
    </message>
    <message>
        <source>importing jobs</source>
        <translation>import des tâches</translation>
    </message>
    <message>
        <source>line %1: %2</source>
        <translation>ligne %1 : %2</translation>
    </message>
    <message>
        <source>longer than %1 MiB; the rest of the input was not read</source>
        <translation>plus longue que %1 Mio ; le reste de l&apos;entrée n&apos;a pas été lu</translation>
    </message>
    <message>
        <source>line %1: reading stopped after %2 lines with errors; the rest of the input was not read</source>
        <translation>ligne %1 : lecture arrêtée après %2 lignes en erreur ; le reste de l&apos;entrée n&apos;a pas été lu</translation>
    </message>
    <message>
        <source>%1 is on line %2 already</source>
        <translation>%1 figure déjà à la ligne %2</translation>
    </message>
    <message>
        <source>moving the job id sequence past the imported ids</source>
        <translation>déplacement de la séquence des identifiants de tâche au-delà des identifiants importés</translation>
    </message>
    <message>
        <source>schedule_id must be a positive whole number or null</source>
        <translation>schedule_id doit être un nombre entier positif ou null</translation>
    </message>
    <message>
        <source>announcing the imported jobs</source>
        <translation>annonce des tâches importées</translation>
    </message>
</context>
<context>
    <name>hcm::JobRetention</name>
    <message>
        <source>counting old jobs</source>
        <translation>comptage des anciennes tâches</translation>
    </message>
    <message>
        <source>A batch of old jobs to delete must hold at least one job, not %1.</source>
        <translation>Un lot d&apos;anciennes tâches à supprimer doit contenir au moins une tâche, pas %1.</translation>
    </message>
    <message>
        <source>finding old jobs</source>
        <translation>recherche des anciennes tâches</translation>
    </message>
    <message>
        <source>deleting the attempts of old jobs</source>
        <translation>suppression des essais des anciennes tâches</translation>
    </message>
    <message>
        <source>deleting old jobs</source>
        <translation>suppression des anciennes tâches</translation>
    </message>
    <message>
        <source>deleting old job attempts</source>
        <translation>suppression des anciens essais de tâches</translation>
    </message>
</context>
<context>
    <name>hcm::JobRules</name>
    <message>
        <source>cancellation was already requested; the worker is stopping the job</source>
        <translation>l&apos;annulation a déjà été demandée ; le worker arrête la tâche</translation>
    </message>
    <message>
        <source>the job is already %1; finished jobs cannot be cancelled</source>
        <translation>la tâche est déjà à l&apos;état %1 ; les tâches terminées ne peuvent pas être annulées</translation>
    </message>
    <message>
        <source>the job is running now</source>
        <translation>la tâche est en cours d&apos;exécution</translation>
    </message>
    <message>
        <source>the job completed; duplicate it to run it again</source>
        <translation>la tâche est terminée ; dupliquez-la pour l&apos;exécuter à nouveau</translation>
    </message>
    <message>
        <source>only finished jobs can be deleted; this one is %1</source>
        <translation>seules les tâches terminées peuvent être supprimées ; celle-ci est à l&apos;état %1</translation>
    </message>
    <message numerus="yes">
        <source>%n in all</source>
        <extracomment>attempts of a job whose count exceeds its retry budget (after a manual retry)</extracomment>
        <translation>
            <numerusform>%n au total</numerusform>
            <numerusform>%n au total</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <extracomment>attempts started &quot;of&quot; the most possible (1 + retries)</extracomment>
        <translation>%1 sur %2</translation>
    </message>
    <message>
        <source>no retries left</source>
        <extracomment>the end mark of the retry timeline of a failed job</extracomment>
        <translation>plus de nouvel essai</translation>
    </message>
    <message>
        <source>not retryable</source>
        <translation>nouvel essai impossible</translation>
    </message>
    <message>
        <source>Completed:</source>
        <translation>Terminée :</translation>
    </message>
    <message>
        <source>Failed:</source>
        <translation>Échouée :</translation>
    </message>
    <message>
        <source>Cancelled:</source>
        <translation>Annulée :</translation>
    </message>
    <message>
        <source>Finished:</source>
        <translation>Fin :</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>Erreur</translation>
    </message>
    <message>
        <source>Reason</source>
        <extracomment>heading of the message that says who cancelled a job and when</extracomment>
        <translation>Motif</translation>
    </message>
    <message>
        <source>Last error</source>
        <translation>Dernière erreur</translation>
    </message>
    <message>
        <source>due now</source>
        <translation>due maintenant</translation>
    </message>
    <message>
        <source>in under a minute</source>
        <translation>dans moins d&apos;une minute</translation>
    </message>
    <message numerus="yes">
        <source>in %n min</source>
        <translation>
            <numerusform>dans %n min</numerusform>
            <numerusform>dans %n min</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>in %n h</source>
        <translation>
            <numerusform>dans %n h</numerusform>
            <numerusform>dans %n h</numerusform>
        </translation>
    </message>
    <message>
        <source>in %1 h %2 min</source>
        <extracomment>%1 hours, %2 minutes</extracomment>
        <translation>dans %1 h %2 min</translation>
    </message>
    <message>
        <source>on %1</source>
        <extracomment>a time a day or more away; %1 is its date and time</extracomment>
        <translation>le %1</translation>
    </message>
</context>
<context>
    <name>hcm::JobService</name>
    <message>
        <source>Unknown job type &quot;%1&quot;. Known types: %2.</source>
        <translation>Type de tâche inconnu « %1 ». Types connus : %2.</translation>
    </message>
    <message>
        <source>The payload is %1 KiB; the limit is %2 KiB.</source>
        <translation>Le payload fait %1 Kio ; la limite est de %2 Kio.</translation>
    </message>
    <message>
        <source>Invalid payload for %1: %2.</source>
        <translation>Payload non valide pour %1 : %2.</translation>
    </message>
    <message>
        <source>max_retries must be from 0 to %1; %2 was given.</source>
        <translation>max_retries doit être compris entre 0 et %1 ; %2 a été indiqué.</translation>
    </message>
    <message>
        <source>The start time is before 1970.</source>
        <translation>L&apos;heure de début est antérieure à 1970.</translation>
    </message>
    <message>
        <source>The payload must be a JSON object ({…}), not a single value.</source>
        <translation>Le payload doit être un objet JSON ({…}), pas une valeur isolée.</translation>
    </message>
    <message>
        <source>The payload is not valid JSON: %1 at line %2, column %3.</source>
        <translation>Le payload n&apos;est pas du JSON valide : %1 à la ligne %2, colonne %3.</translation>
    </message>
    <message>
        <source>The payload must be a JSON object ({…}), not an array.</source>
        <translation>Le payload doit être un objet JSON ({…}), pas un tableau.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a date and time; use ISO 8601, for example 2026-01-07T10:15:00Z.</source>
        <translation>« %1 » n&apos;est pas une date et heure ; utilisez ISO 8601, par exemple 2026-01-07T10:15:00Z.</translation>
    </message>
    <message>
        <source>Unknown priority &quot;%1&quot;: use low, normal, high or critical.</source>
        <translation>Priorité inconnue « %1 » : utilisez low, normal, high ou critical.</translation>
    </message>
    <message>
        <source>max_retries must be a whole number from 0 to %1; &quot;%2&quot; was given.</source>
        <translation>max_retries doit être un nombre entier de 0 à %1 ; « %2 » a été indiqué.</translation>
    </message>
    <message>
        <source>Job %1 of %2: %3</source>
        <translation>Tâche %1 sur %2 : %3</translation>
    </message>
    <message>
        <source>The start time %1 is more than %2 years ahead; the latest allowed now is %3.</source>
        <translation>L&apos;heure de démarrage %1 est à plus de %2 ans dans le futur ; la limite autorisée actuellement est %3.</translation>
    </message>
    <message numerus="yes">
        <source>%1 (after %n job(s) had been changed)</source>
        <translation>
            <numerusform>%1 (après la modification de %n tâche)</numerusform>
            <numerusform>%1 (après la modification de %n tâches)</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>hcm::JobStatsStore</name>
    <message>
        <source>reading throughput</source>
        <translation>lecture du débit</translation>
    </message>
    <message>
        <source>folding the job counts</source>
        <translation>consolidation des compteurs de tâches</translation>
    </message>
</context>
<context>
    <name>hcm::JobStore</name>
    <message>
        <source>adding a job</source>
        <translation>ajout d&apos;une tâche</translation>
    </message>
    <message>
        <source>claiming jobs</source>
        <translation>réservation de tâches</translation>
    </message>
    <message>
        <source>saving the outcome of %1</source>
        <translation>enregistrement du résultat de %1</translation>
    </message>
    <message>
        <source>recording attempt %1 of %2</source>
        <translation>enregistrement de l&apos;essai %1 sur %2</translation>
    </message>
    <message>
        <source>returning unstarted jobs to the queue</source>
        <translation>remise en file des tâches non démarrées</translation>
    </message>
    <message>
        <source>extending job leases</source>
        <translation>prolongation des baux des tâches</translation>
    </message>
    <message>
        <source>recording the worker heartbeat</source>
        <translation>enregistrement du signal de vie du worker</translation>
    </message>
    <message>
        <source>reading cancellation requests</source>
        <translation>lecture des demandes d&apos;annulation</translation>
    </message>
    <message>
        <source>saving job progress</source>
        <translation>enregistrement de la progression de la tâche</translation>
    </message>
    <message>
        <source>rescuing jobs of lost workers</source>
        <translation>récupération des tâches des workers perdus</translation>
    </message>
    <message>
        <source>recording a lost attempt</source>
        <translation>enregistrement d&apos;un essai perdu</translation>
    </message>
    <message>
        <source>registering the worker</source>
        <translation>enregistrement du worker</translation>
    </message>
    <message>
        <source>marking the worker stopped</source>
        <translation>marquage du worker comme arrêté</translation>
    </message>
    <message>
        <source>listing workers</source>
        <translation>liste des workers</translation>
    </message>
    <message>
        <source>cancelling %1</source>
        <translation>annulation de %1</translation>
    </message>
    <message>
        <source>retrying %1</source>
        <translation>nouvel essai de %1</translation>
    </message>
    <message>
        <source>deleting %1</source>
        <translation>suppression de %1</translation>
    </message>
    <message>
        <source>reading %1</source>
        <translation>lecture de %1</translation>
    </message>
    <message>
        <source>%1 does not exist</source>
        <translation>%1 n&apos;existe pas</translation>
    </message>
    <message>
        <source>reading the attempts of %1</source>
        <translation>lecture des essais de %1</translation>
    </message>
    <message>
        <source>listing jobs</source>
        <translation>liste des tâches</translation>
    </message>
    <message>
        <source>counting jobs</source>
        <translation>comptage des tâches</translation>
    </message>
    <message>
        <source>counting jobs by status</source>
        <translation>comptage des tâches par statut</translation>
    </message>
    <message>
        <source>announcing a change</source>
        <translation>annonce d&apos;une modification</translation>
    </message>
    <message>
        <source>saving %1 job results</source>
        <translation>enregistrement de %1 résultats de tâches</translation>
    </message>
    <message>
        <source>recording %1 attempts</source>
        <translation>enregistrement de %1 essais</translation>
    </message>
    <message>
        <source>reading the jobs of %1</source>
        <translation>lecture des tâches de %1</translation>
    </message>
    <message>
        <source>the job changed state meanwhile; try again</source>
        <translation>la tâche a changé d&apos;état entre-temps ; réessayez</translation>
    </message>
    <message>
        <source>listing the jobs of worker %1</source>
        <translation>liste des tâches du worker %1</translation>
    </message>
    <message>
        <source>listing the attempts of worker %1</source>
        <translation>liste des tentatives du worker %1</translation>
    </message>
    <message>
        <source>Claiming jobs changed %1 rows instead of %2; nothing was claimed.</source>
        <translation>La prise en charge des tâches a modifié %1 lignes au lieu de %2 ; aucune tâche n’a été prise.</translation>
    </message>
    <message>
        <source>clearing the start records of finished jobs</source>
        <translation>suppression des enregistrements de démarrage des tâches terminées</translation>
    </message>
    <message>
        <source>recording that jobs started</source>
        <translation>enregistrement du démarrage des tâches</translation>
    </message>
    <message>
        <source>clearing the start records of rescued jobs</source>
        <translation>suppression des enregistrements de démarrage des tâches récupérées</translation>
    </message>
    <message>
        <source>clearing the start records of a stopped worker</source>
        <translation>suppression des enregistrements de démarrage d&apos;un worker arrêté</translation>
    </message>
    <message>
        <source>The new job&apos;s id was not returned.</source>
        <translation>L&apos;identifiant de la nouvelle tâche n&apos;a pas été renvoyé.</translation>
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
        <translation>Type</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Statut</translation>
    </message>
    <message>
        <source>Priority</source>
        <translation>Priorité</translation>
    </message>
    <message>
        <source>Attempts</source>
        <translation>Essais</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>Créée</translation>
    </message>
    <message>
        <source>Started</source>
        <translation>Démarrée</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>Durée</translation>
    </message>
    <message>
        <source>Worker</source>
        <translation>Worker</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>Erreur</translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <extracomment>attempts started &quot;of&quot; the most possible (1 + retries)</extracomment>
        <translation>%1 sur %2</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>Annulation…</translation>
    </message>
    <message>
        <source>Processing %1%</source>
        <translation>En cours %1 %</translation>
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
        <translation>Suspendue</translation>
    </message>
    <message>
        <source>Paused: every job type was paused by %1 at %2. Queued jobs wait until it is resumed.</source>
        <translation>Suspendue : tous les types de tâche ont été suspendus par %1 le %2. Les tâches en attente attendent la reprise.</translation>
    </message>
    <message>
        <source>Paused: %1 was paused by %2 at %3. Its queued jobs wait until it is resumed.</source>
        <translation>Suspendue : %1 a été suspendu par %2 le %3. Ses tâches en attente attendent sa reprise.</translation>
    </message>
    <message>
        <source>Retrying %1</source>
        <extracomment>%1 is when: &quot;in 4 min&quot;, &quot;on 03.01.2099 10:00&quot;</extracomment>
        <translation>Nouvel essai %1</translation>
    </message>
    <message>
        <source>Scheduled %1</source>
        <extracomment>%1 is when: &quot;in 4 min&quot;, &quot;on 03.01.2099 10:00&quot;</extracomment>
        <translation>Planifiée %1</translation>
    </message>
</context>
<context>
    <name>hcm::JobTypeCatalog</name>
    <message>
        <source>Clears the application cache: the cache folder and the cache table. &quot;full&quot; removes everything, &quot;expired&quot; only entries past their expiry.</source>
        <translation>Vide le cache de l&apos;application : le dossier de cache et la table de cache. « full » supprime tout, « expired » uniquement les entrées expirées.</translation>
    </message>
    <message>
        <source>Optimizes the database: refreshes planner statistics and reclaims free pages (&quot;vacuum&quot; rebuilds the file, &quot;incremental&quot; only releases free pages, &quot;analyze&quot; only updates statistics).</source>
        <translation>Optimise la base de données : actualise les statistiques du planificateur et récupère les pages libres (« vacuum » reconstruit le fichier, « incremental » libère seulement les pages libres, « analyze » met seulement à jour les statistiques).</translation>
    </message>
    <message>
        <source>Rotates the application&apos;s log files: compresses each current log with gzip, keeps the newest archives and deletes older ones.</source>
        <translation>Fait tourner les fichiers journaux de l&apos;application : compresse chaque journal courant avec gzip, conserve les archives les plus récentes et supprime les plus anciennes.</translation>
    </message>
    <message>
        <source>Sends one email through the configured SMTP server.</source>
        <translation>Envoie un e-mail via le serveur SMTP configuré.</translation>
    </message>
    <message>
        <source>payload field &quot;to&quot; is required: an email address or a list of them</source>
        <translation>le champ « to » du payload est obligatoire : une adresse e-mail ou une liste d&apos;adresses</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not an email address</source>
        <translation>« %1 » n&apos;est pas une adresse e-mail</translation>
    </message>
    <message>
        <source>payload field &quot;subject&quot; is required and must be text</source>
        <translation>le champ « subject » du payload est obligatoire et doit être du texte</translation>
    </message>
    <message>
        <source>payload field &quot;body&quot; must be text</source>
        <translation>le champ « body » du payload doit être du texte</translation>
    </message>
    <message>
        <source>Deletes old data: finished jobs and their attempts older than the retention period, and expired cache entries.</source>
        <translation>Supprime les anciennes données : les tâches terminées et leurs essais plus anciens que la durée de conservation, et les entrées de cache expirées.</translation>
    </message>
    <message>
        <source>Does nothing and succeeds.</source>
        <translation>Ne fait rien et réussit.</translation>
    </message>
    <message>
        <source>Waits for the given milliseconds, then succeeds.</source>
        <translation>Attend le nombre de millisecondes indiqué, puis réussit.</translation>
    </message>
    <message>
        <source>Fails with the given message.</source>
        <translation>Échoue avec le message indiqué.</translation>
    </message>
    <message>
        <source>payload field &quot;job_id&quot; is required: the job the alert is about</source>
        <translation>le champ « job_id » du payload est obligatoire : la tâche concernée par l&apos;alerte</translation>
    </message>
    <message>
        <source>payload field &quot;job_type&quot; is required and must be text</source>
        <translation>le champ « job_type » du payload est obligatoire et doit être du texte</translation>
    </message>
    <message>
        <source>payload field &quot;error&quot; must be text</source>
        <translation>le champ « error » du payload doit être du texte</translation>
    </message>
    <message>
        <source>Records the execution in the table test_executions, then waits the given milliseconds.</source>
        <translation>Enregistre l&apos;exécution dans la table test_executions, puis attend le nombre de millisecondes indiqué.</translation>
    </message>
    <message>
        <source>unknown payload field &quot;%1&quot; (allowed: %2)</source>
        <translation>champ de payload inconnu « %1 » (autorisés : %2)</translation>
    </message>
    <message>
        <source>payload field &quot;%1&quot; is required (one of: %2)</source>
        <translation>le champ « %1 » du payload est obligatoire (parmi : %2)</translation>
    </message>
    <message>
        <source>payload field &quot;%1&quot; must be one of: %2</source>
        <translation>le champ « %1 » du payload doit valoir l&apos;un de : %2</translation>
    </message>
    <message>
        <source>payload field &quot;%1&quot; must be a whole number from %2 to %3</source>
        <translation>le champ « %1 » du payload doit être un nombre entier de %2 à %3</translation>
    </message>
    <message>
        <source>Delivers an alert about another job (failed, succeeded, retried, worker lost), or a digest of such alerts, to every enabled notification channel. Created by the workers; retried with backoff.</source>
        <translation>Envoie une alerte sur une autre tâche (échouée, réussie, relancée, worker perdu), ou un récapitulatif de telles alertes, sur chaque canal de notification activé. Créée par les workers ; relancée avec délai croissant.</translation>
    </message>
    <message>
        <source>payload field &quot;%1&quot; must be true or false</source>
        <translation>le champ « %1 » du payload doit valoir true ou false</translation>
    </message>
    <message>
        <source>payload field &quot;%1&quot; must be a number from %2 to %3</source>
        <translation>le champ « %1 » du payload doit être un nombre de %2 à %3</translation>
    </message>
</context>
<context>
    <name>hcm::LogRotateHandler</name>
    <message>
        <source>Cannot write the archive %1: %2.</source>
        <translation>Impossible d&apos;écrire l&apos;archive %1 : %2.</translation>
    </message>
    <message>
        <source>cannot read the log: %1</source>
        <translation>impossible de lire le journal : %1</translation>
    </message>
    <message>
        <source>zlib error %1</source>
        <translation>erreur zlib %1</translation>
    </message>
</context>
<context>
    <name>hcm::LogSink</name>
    <message>
        <source>Cannot write the log file %1: %2.</source>
        <translation>Impossible d&apos;écrire le fichier journal %1 : %2.</translation>
    </message>
    <message>
        <source>Cannot create the log folder %1: %2</source>
        <translation>Impossible de créer le dossier des journaux %1 : %2</translation>
    </message>
</context>
<context>
    <name>hcm::Migrator</name>
    <message>
        <source>creating the migrations table</source>
        <translation>création de la table des migrations</translation>
    </message>
    <message>
        <source>The database %1 was written by a newer version of HCM Admin (schema %2; this program knows up to schema %3). Install the newer version; this one will not touch it.</source>
        <translation>La base de données %1 a été écrite par une version plus récente de HCM Admin (schéma %2 ; ce programme connaît les schémas jusqu&apos;à %3). Installez la version plus récente ; celle-ci n&apos;y touchera pas.</translation>
    </message>
    <message>
        <source>applying migration %1_%2</source>
        <translation>application de la migration %1_%2</translation>
    </message>
    <message>
        <source>recording migration %1</source>
        <translation>enregistrement de la migration %1</translation>
    </message>
    <message>
        <source>reading the schema version</source>
        <translation>lecture de la version du schéma</translation>
    </message>
    <message>
        <source>waiting for other programs that migrate the database</source>
        <translation>attente d&apos;autres programmes qui migrent la base de données</translation>
    </message>
    <message>
        <source>The database %1 needs migration %2_%3, but this role may not change the schema (%4). Start hcmctl or hcm-admin once as the owner role (see docs/postgresql.md), then this program again.</source>
        <translation>La base de données %1 nécessite la migration %2_%3, mais ce rôle ne peut pas modifier le schéma (%4). Lancez hcmctl ou hcm-admin une fois avec le rôle propriétaire (voir docs/postgresql.md), puis relancez ce programme.</translation>
    </message>
    <message>
        <source>The schema version &quot;%1&quot; in schema_migrations is not a number: this is not a database this program can use.</source>
        <translation>La version de schéma « %1 » dans schema_migrations n&apos;est pas un nombre : ce programme ne peut pas utiliser cette base de données.</translation>
    </message>
</context>
<context>
    <name>hcm::NotificationService</name>
    <message>
        <source>Email is not set up: the SMTP server is missing.</source>
        <translation>L&apos;e-mail n&apos;est pas configuré : le serveur SMTP manque.</translation>
    </message>
    <message>
        <source>Email is not set up: the from address is missing.</source>
        <translation>L&apos;e-mail n&apos;est pas configuré : l&apos;adresse d&apos;expéditeur manque.</translation>
    </message>
    <message>
        <source>SMS is not set up: the Twilio account SID is missing.</source>
        <translation>Les SMS ne sont pas configurés : le SID du compte Twilio manque.</translation>
    </message>
    <message>
        <source>SMS is not set up: the Twilio auth token is missing.</source>
        <translation>Les SMS ne sont pas configurés : le jeton d&apos;authentification Twilio manque.</translation>
    </message>
    <message>
        <source>SMS is not set up: the sender number is missing.</source>
        <translation>Les SMS ne sont pas configurés : le numéro d&apos;expéditeur manque.</translation>
    </message>
    <message>
        <source>Slack is not set up: the webhook URL is missing.</source>
        <translation>Slack n&apos;est pas configuré : l&apos;URL du webhook manque.</translation>
    </message>
    <message>
        <source>The server did not accept this recipient.</source>
        <translation>Le serveur n&apos;a pas accepté ce destinataire.</translation>
    </message>
    <message>
        <source>No recipient: give one, or set the admin email recipients.</source>
        <translation>Aucun destinataire : indiquez-en un, ou définissez les destinataires e-mail des administrateurs.</translation>
    </message>
    <message>
        <source>No recipient: give a phone number, or set the SMS recipients.</source>
        <translation>Aucun destinataire : indiquez un numéro de téléphone, ou définissez les destinataires SMS.</translation>
    </message>
    <message>
        <source>test messages</source>
        <translation>messages de test</translation>
    </message>
    <message>
        <source>HCM Admin test message</source>
        <translation>Message de test HCM Admin</translation>
    </message>
    <message>
        <source>This is a test message from HCM Admin, sent by %1 at %2. If you can read it, %3 alerts work.</source>
        <translation>Ceci est un message de test de HCM Admin, envoyé par %1 à %2. Si vous pouvez le lire, les alertes %3 fonctionnent.</translation>
    </message>
</context>
<context>
    <name>hcm::NotificationSettings</name>
    <message>
        <source>Email alerts</source>
        <translation>Alertes par e-mail</translation>
    </message>
    <message>
        <source>SMTP server</source>
        <translation>Serveur SMTP</translation>
    </message>
    <message>
        <source>SMTP port</source>
        <translation>Port SMTP</translation>
    </message>
    <message>
        <source>SMTP security</source>
        <translation>Sécurité SMTP</translation>
    </message>
    <message>
        <source>SMTP user name</source>
        <translation>Nom d&apos;utilisateur SMTP</translation>
    </message>
    <message>
        <source>SMTP password</source>
        <translation>Mot de passe SMTP</translation>
    </message>
    <message>
        <source>From address</source>
        <translation>Adresse d&apos;expéditeur</translation>
    </message>
    <message>
        <source>From name</source>
        <translation>Nom d&apos;expéditeur</translation>
    </message>
    <message>
        <source>Reply-to address</source>
        <translation>Adresse de réponse</translation>
    </message>
    <message>
        <source>Admin email recipients</source>
        <translation>Destinataires e-mail des administrateurs</translation>
    </message>
    <message>
        <source>SMS alerts</source>
        <translation>Alertes par SMS</translation>
    </message>
    <message>
        <source>SMS provider</source>
        <translation>Fournisseur SMS</translation>
    </message>
    <message>
        <source>Twilio account SID</source>
        <translation>SID du compte Twilio</translation>
    </message>
    <message>
        <source>Twilio auth token</source>
        <translation>Jeton d&apos;authentification Twilio</translation>
    </message>
    <message>
        <source>SMS sender number</source>
        <translation>Numéro d&apos;expéditeur SMS</translation>
    </message>
    <message>
        <source>SMS recipients</source>
        <translation>Destinataires SMS</translation>
    </message>
    <message>
        <source>Twilio API address</source>
        <translation>Adresse de l&apos;API Twilio</translation>
    </message>
    <message>
        <source>Slack alerts</source>
        <translation>Alertes Slack</translation>
    </message>
    <message>
        <source>Slack webhook URL</source>
        <translation>URL du webhook Slack</translation>
    </message>
    <message>
        <source>Slack channel</source>
        <translation>Canal Slack</translation>
    </message>
    <message>
        <source>Alert when a job fails after its last retry</source>
        <translation>Alerter quand une tâche échoue après son dernier essai</translation>
    </message>
    <message>
        <source>Alert when a job succeeds</source>
        <translation>Alerter quand une tâche réussit</translation>
    </message>
    <message>
        <source>Alert when a job is retried</source>
        <translation>Alerter quand une tâche est relancée</translation>
    </message>
    <message>
        <source>Alert when a worker is lost</source>
        <translation>Alerter quand un worker est perdu</translation>
    </message>
    <message>
        <source>Quiet hours</source>
        <translation>Heures calmes</translation>
    </message>
    <message>
        <source>Quiet hours start</source>
        <translation>Début des heures calmes</translation>
    </message>
    <message>
        <source>Quiet hours end</source>
        <translation>Fin des heures calmes</translation>
    </message>
    <message>
        <source>Quiet hours time zone</source>
        <translation>Fuseau horaire des heures calmes</translation>
    </message>
    <message>
        <source>Digest</source>
        <translation>Récapitulatif</translation>
    </message>
    <message>
        <source>Extra trusted CA certificate file</source>
        <translation>Fichier de certificat d&apos;AC de confiance supplémentaire</translation>
    </message>
    <message>
        <source>%1 is a secret: it cannot be set from text here.</source>
        <translation>%1 est un secret : il ne peut pas être défini ici à partir de texte.</translation>
    </message>
    <message>
        <source>%1 must be true or false, not &quot;%2&quot;.</source>
        <translation>%1 doit valoir true ou false, pas « %2 ».</translation>
    </message>
    <message>
        <source>Unknown setting &quot;%1&quot;.</source>
        <translation>Paramètre inconnu « %1 ».</translation>
    </message>
    <message>
        <source>The SMTP port must be from 1 to 65535.</source>
        <translation>Le port SMTP doit être compris entre 1 et 65535.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a host name or IP address.</source>
        <translation>« %1 » n&apos;est ni un nom d&apos;hôte ni une adresse IP.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not an email address.</source>
        <translation>« %1 » n&apos;est pas une adresse e-mail.</translation>
    </message>
    <message>
        <source>The sender name must be on one line.</source>
        <translation>Le nom d&apos;expéditeur doit tenir sur une ligne.</translation>
    </message>
    <message>
        <source>A password is needed with the SMTP user name.</source>
        <translation>Un mot de passe est nécessaire avec le nom d&apos;utilisateur SMTP.</translation>
    </message>
    <message>
        <source>Email alerts need an SMTP server.</source>
        <translation>Les alertes par e-mail nécessitent un serveur SMTP.</translation>
    </message>
    <message>
        <source>Email alerts need a from address.</source>
        <translation>Les alertes par e-mail nécessitent une adresse d&apos;expéditeur.</translation>
    </message>
    <message>
        <source>Email alerts need at least one recipient.</source>
        <translation>Les alertes par e-mail nécessitent au moins un destinataire.</translation>
    </message>
    <message>
        <source>The only SMS provider supported is twilio.</source>
        <translation>Le seul fournisseur SMS pris en charge est twilio.</translation>
    </message>
    <message>
        <source>A Twilio account SID is &quot;AC&quot; followed by 32 hexadecimal digits.</source>
        <translation>Un SID de compte Twilio est « AC » suivi de 32 chiffres hexadécimaux.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a phone number in E.164 form (+14155550123).</source>
        <translation>« %1 » n&apos;est pas un numéro de téléphone au format E.164 (+14155550123).</translation>
    </message>
    <message>
        <source>The Twilio API address must be an https:// URL.</source>
        <translation>L&apos;adresse de l&apos;API Twilio doit être une URL https://.</translation>
    </message>
    <message>
        <source>SMS alerts need the Twilio account SID.</source>
        <translation>Les alertes par SMS nécessitent le SID du compte Twilio.</translation>
    </message>
    <message>
        <source>SMS alerts need the Twilio auth token.</source>
        <translation>Les alertes par SMS nécessitent le jeton d&apos;authentification Twilio.</translation>
    </message>
    <message>
        <source>SMS alerts need a sender number.</source>
        <translation>Les alertes par SMS nécessitent un numéro d&apos;expéditeur.</translation>
    </message>
    <message>
        <source>SMS alerts need at least one recipient.</source>
        <translation>Les alertes par SMS nécessitent au moins un destinataire.</translation>
    </message>
    <message>
        <source>The Slack webhook URL must be an https:// URL.</source>
        <translation>L&apos;URL du webhook Slack doit être une URL https://.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a Slack channel name (#alerts).</source>
        <translation>« %1 » n&apos;est pas un nom de canal Slack (#alerts).</translation>
    </message>
    <message>
        <source>Slack alerts need a webhook URL.</source>
        <translation>Les alertes Slack nécessitent une URL de webhook.</translation>
    </message>
    <message>
        <source>Quiet hours must end at a different time than they start.</source>
        <translation>Les heures calmes doivent se terminer à une autre heure que celle où elles commencent.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a known time zone; use an IANA name such as Europe/Berlin.</source>
        <translation>« %1 » n&apos;est pas un fuseau horaire connu ; utilisez un nom IANA comme Europe/Paris.</translation>
    </message>
    <message>
        <source>The CA certificate file must be given as an absolute path.</source>
        <translation>Le fichier de certificat d&apos;AC doit être indiqué par un chemin absolu.</translation>
    </message>
    <message>
        <source>Without encryption the SMTP user name and password would cross the network readable by anyone on the way. Choose STARTTLS or TLS, or clear the user name and password.</source>
        <translation>Sans chiffrement, le nom d&apos;utilisateur et le mot de passe SMTP traverseraient le réseau lisibles par quiconque sur le trajet. Choisissez STARTTLS ou TLS, ou effacez le nom d&apos;utilisateur et le mot de passe.</translation>
    </message>
    <message>
        <source>Without encryption the SMTP user name and password would travel to %1 readable by anyone on the way. Choose STARTTLS or TLS, or clear the user name and password (only a relay on this machine, such as localhost, may be used unencrypted).</source>
        <translation>Sans chiffrement, le nom d&apos;utilisateur et le mot de passe SMTP arriveraient à %1 lisibles par quiconque sur le trajet. Choisissez STARTTLS ou TLS, ou effacez le nom d&apos;utilisateur et le mot de passe (seul un relais sur cette machine, comme localhost, peut être utilisé sans chiffrement).</translation>
    </message>
    <message>
        <source>The Twilio API address must be on a host under twilio.com (https://api.twilio.com), not %1: the auth token is sent there. To use another address (a proxy of your own), set HCM_ALLOW_CUSTOM_PROVIDER_URL=1 in the environment of the programs that save the settings and of every worker.</source>
        <translation>L&apos;adresse de l&apos;API Twilio doit se trouver sur un hôte sous twilio.com (https://api.twilio.com), et non %1 : le jeton d&apos;authentification y est envoyé. Pour utiliser une autre adresse (votre propre proxy), définissez HCM_ALLOW_CUSTOM_PROVIDER_URL=1 dans l&apos;environnement des programmes qui enregistrent les paramètres et de chaque worker.</translation>
    </message>
    <message>
        <source>The Slack webhook URL must be a Slack incoming webhook (https://hooks.slack.com/…). To use another address (a proxy of your own), set HCM_ALLOW_CUSTOM_PROVIDER_URL=1 in the environment of the programs that save the settings and of every worker.</source>
        <translation>L&apos;URL du webhook Slack doit être un webhook entrant Slack (https://hooks.slack.com/…). Pour utiliser une autre adresse (votre propre proxy), définissez HCM_ALLOW_CUSTOM_PROVIDER_URL=1 dans l&apos;environnement des programmes qui enregistrent les paramètres et de chaque worker.</translation>
    </message>
    <message>
        <source>The CA certificate file %1 does not exist.</source>
        <translation>Le fichier de certificat d&apos;AC %1 n&apos;existe pas.</translation>
    </message>
    <message>
        <source>%1 is not a file: give the PEM file of the CA certificate.</source>
        <translation>%1 n&apos;est pas un fichier : indiquez le fichier PEM du certificat d&apos;AC.</translation>
    </message>
    <message>
        <source>Cannot read the CA certificate file %1: %2.</source>
        <translation>Impossible de lire le fichier de certificat d&apos;AC %1 : %2.</translation>
    </message>
    <message>
        <source>The CA certificate file %1 is larger than %2 KiB; a file of PEM certificates is a few KiB.</source>
        <translation>Le fichier de certificat d&apos;AC %1 dépasse %2 Kio ; un fichier de certificats PEM fait quelques Kio.</translation>
    </message>
    <message>
        <source>The CA certificate file %1 holds no PEM certificate (a block from &quot;%2&quot; to &quot;%3&quot;).</source>
        <translation>Le fichier de certificat d&apos;AC %1 ne contient aucun certificat PEM (un bloc de « %2 » à « %3 »).</translation>
    </message>
    <message>
        <source>%1 is %2 characters long; the limit is %3.</source>
        <translation>%1 fait %2 caractères ; la limite est de %3.</translation>
    </message>
    <message>
        <source>%1 has %2 entries; the limit is %3.</source>
        <translation>%1 compte %2 entrées ; la limite est de %3.</translation>
    </message>
    <message>
        <source>An entry of %1 is %2 characters long; the limit is %3.</source>
        <translation>Une entrée de %1 fait %2 caractères ; la limite est de %3.</translation>
    </message>
    <message>
        <source>%1 is %2 bytes long; the limit is %3 bytes.</source>
        <translation>%1 fait %2 octets ; la limite est de %3 octets.</translation>
    </message>
    <message>
        <source>Unknown setting.</source>
        <translation>Paramètre inconnu.</translation>
    </message>
    <message>
        <source>%1 must be a whole number from %2 to %3, not &quot;%4&quot;.</source>
        <translation>%1 doit être un nombre entier de %2 à %3, pas « %4 ».</translation>
    </message>
    <message>
        <source>%1 must be %2, not &quot;%3&quot;.</source>
        <translation>%1 doit valoir %2, pas « %3 ».</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a time of day as HH:mm (%2).</source>
        <translation>« %1 » n&apos;est pas une heure au format HH:mm (%2).</translation>
    </message>
    <message>
        <source>A secret is written as a string (null or &quot;&quot; clears it).</source>
        <translation>Un secret s&apos;écrit sous forme de chaîne (null ou &quot;&quot; l&apos;efface).</translation>
    </message>
    <message>
        <source>The value has the wrong type.</source>
        <translation>La valeur n&apos;a pas le bon type.</translation>
    </message>
    <message>
        <source>none, starttls or tls</source>
        <translation>none, starttls ou tls</translation>
    </message>
    <message>
        <source>immediate, hourly or daily</source>
        <translation>immediate, hourly ou daily</translation>
    </message>
</context>
<context>
    <name>hcm::NotificationSettingsStore</name>
    <message>
        <source>reading the notification settings</source>
        <translation>lecture des paramètres de notification</translation>
    </message>
    <message>
        <source>The notification settings row is missing; run &quot;hcmctl db migrate&quot;.</source>
        <translation>La ligne des paramètres de notification manque ; lancez « hcmctl db migrate ».</translation>
    </message>
    <message>
        <source>The notification settings were not saved: %1</source>
        <translation>Les paramètres de notification n&apos;ont pas été enregistrés : %1</translation>
    </message>
    <message>
        <source>%1 saved the notification settings (version %2) after you loaded version %3; nothing was saved. Changed since: %4. Reload and apply your changes again.</source>
        <translation>%1 a enregistré les paramètres de notification (version %2) après que vous avez chargé la version %3 ; rien n&apos;a été enregistré. Modifié depuis : %4. Rechargez et appliquez à nouveau vos modifications.</translation>
    </message>
    <message>
        <source>Someone else</source>
        <translation>Quelqu&apos;un d&apos;autre</translation>
    </message>
    <message>
        <source>no field (saved unchanged)</source>
        <translation>aucun champ (enregistré sans changement)</translation>
    </message>
    <message>
        <source>saving the notification settings</source>
        <translation>enregistrement des paramètres de notification</translation>
    </message>
    <message>
        <source>Someone else saved the notification settings at the same moment; nothing was saved. Reload and apply your changes again.</source>
        <translation>Quelqu&apos;un d&apos;autre a enregistré les paramètres de notification au même moment ; rien n&apos;a été enregistré. Rechargez et appliquez à nouveau vos modifications.</translation>
    </message>
    <message>
        <source>Nothing was saved: the key in use (%1) does not open the stored %2. A secret encrypted with it would leave the notification secrets under two keys, and the programs that hold the other key could no longer send. Run this with the key that encrypted them (HCM_SECRET_KEY_FILE=PATH or HCM_SECRET_KEY), or re-encrypt the stored secrets for the key in use with &quot;hcmctl settings rekey --old-key-file PATH&quot;; if that key is lost, clear the stored secrets first (Clear in the form, or &quot;hcmctl settings clear-secret KEY&quot;) and set them again.</source>
        <translation>Rien n&apos;a été enregistré : la clé utilisée (%1) n&apos;ouvre pas la valeur enregistrée de %2. Un secret chiffré avec elle laisserait les secrets de notification sous deux clés, et les programmes qui détiennent l&apos;autre clé ne pourraient plus envoyer. Exécutez ceci avec la clé qui les a chiffrés (HCM_SECRET_KEY_FILE=PATH ou HCM_SECRET_KEY), ou rechiffrez les secrets enregistrés pour la clé utilisée avec « hcmctl settings rekey --old-key-file PATH » ; si cette clé est perdue, effacez d&apos;abord les secrets enregistrés (Effacer dans le formulaire, ou « hcmctl settings clear-secret KEY ») et définissez-les à nouveau.</translation>
    </message>
    <message>
        <source>Nothing was saved: the secret key file %1 does not exist, but the stored %2 was encrypted with a key. Run this with that key (HCM_SECRET_KEY_FILE=PATH or HCM_SECRET_KEY), or re-encrypt the stored secrets with &quot;hcmctl settings rekey --old-key-file PATH&quot;; if that key is lost, clear the stored secrets first (Clear in the form, or &quot;hcmctl settings clear-secret KEY&quot;) and set them again.</source>
        <translation>Rien n&apos;a été enregistré : le fichier de clé secrète %1 n&apos;existe pas, mais la valeur enregistrée de %2 a été chiffrée avec une clé. Exécutez ceci avec cette clé (HCM_SECRET_KEY_FILE=PATH ou HCM_SECRET_KEY), ou rechiffrez les secrets enregistrés avec « hcmctl settings rekey --old-key-file PATH » ; si cette clé est perdue, effacez d&apos;abord les secrets enregistrés (Effacer dans le formulaire, ou « hcmctl settings clear-secret KEY ») et définissez-les à nouveau.</translation>
    </message>
    <message>
        <source>The old key (%1) and the key in use (%2) are the same key (key id %3): there is nothing to re-encrypt.</source>
        <translation>L&apos;ancienne clé (%1) et la clé utilisée (%2) sont la même clé (identifiant %3) : il n&apos;y a rien à rechiffrer.</translation>
    </message>
    <message>
        <source>Nothing was re-encrypted: the stored %1 opens neither with the old key (%2) nor with the key in use (%3). Give the key that encrypted it.</source>
        <translation>Rien n&apos;a été rechiffré : la valeur enregistrée de %1 ne s&apos;ouvre ni avec l&apos;ancienne clé (%2) ni avec la clé utilisée (%3). Indiquez la clé qui l&apos;a chiffrée.</translation>
    </message>
    <message>
        <source>re-encrypting the notification secrets</source>
        <translation>rechiffrement des secrets de notification</translation>
    </message>
    <message>
        <source>Someone else saved the notification settings at the same moment; nothing was re-encrypted. Run it again.</source>
        <translation>Quelqu&apos;un d&apos;autre a enregistré les paramètres de notification au même moment ; rien n&apos;a été rechiffré. Relancez la commande.</translation>
    </message>
</context>
<context>
    <name>hcm::PauseService</name>
    <message>
        <source>Unknown job type &quot;%1&quot;. Known types: %2.</source>
        <translation>Type de tâche inconnu « %1 ». Types connus : %2.</translation>
    </message>
    <message>
        <source>Every job type is paused (by %1 at %2), %3 included: resume all types.</source>
        <translation>Tous les types de tâche sont suspendus (par %1 le %2), %3 compris : reprenez tous les types.</translation>
    </message>
</context>
<context>
    <name>hcm::PausedTypeStore</name>
    <message>
        <source>reading the paused job types</source>
        <translation>lecture des types de tâche suspendus</translation>
    </message>
    <message>
        <source>pausing job type %1</source>
        <translation>suspension du type de tâche %1</translation>
    </message>
    <message>
        <source>resuming job type %1</source>
        <translation>reprise du type de tâche %1</translation>
    </message>
</context>
<context>
    <name>hcm::Permission</name>
    <message>
        <source>read jobs</source>
        <translation>lire les tâches</translation>
    </message>
    <message>
        <source>create jobs</source>
        <translation>créer des tâches</translation>
    </message>
    <message>
        <source>cancel jobs</source>
        <translation>annuler des tâches</translation>
    </message>
    <message>
        <source>retry jobs</source>
        <translation>relancer des tâches</translation>
    </message>
    <message>
        <source>delete jobs</source>
        <translation>supprimer des tâches</translation>
    </message>
    <message>
        <source>pause or resume job types</source>
        <translation>suspendre ou reprendre des types de tâche</translation>
    </message>
    <message>
        <source>import jobs</source>
        <translation>importer des tâches</translation>
    </message>
    <message>
        <source>read workers</source>
        <translation>lire les workers</translation>
    </message>
    <message>
        <source>drain or remove workers</source>
        <translation>vider ou retirer des workers</translation>
    </message>
    <message>
        <source>read schedules</source>
        <translation>lire les planifications</translation>
    </message>
    <message>
        <source>run schedules now</source>
        <translation>exécuter des planifications immédiatement</translation>
    </message>
    <message>
        <source>change schedules</source>
        <translation>modifier les planifications</translation>
    </message>
    <message>
        <source>read notification settings</source>
        <translation>lire les paramètres de notification</translation>
    </message>
    <message>
        <source>change notification settings</source>
        <translation>modifier les paramètres de notification</translation>
    </message>
    <message>
        <source>send test messages</source>
        <translation>envoyer des messages de test</translation>
    </message>
    <message>
        <source>read the audit trail</source>
        <translation>lire le journal d&apos;audit</translation>
    </message>
    <message>
        <source>manage users</source>
        <translation>gérer les utilisateurs</translation>
    </message>
    <message>
        <source>manage API tokens</source>
        <translation>gérer les jetons d&apos;API</translation>
    </message>
    <message>
        <source>%1 may not %2 (needs the %3 role).</source>
        <translation>%1 ne peut pas %2 (rôle %3 requis).</translation>
    </message>
    <message>
        <source>Needs the %1 role</source>
        <translation>Nécessite le rôle %1</translation>
    </message>
</context>
<context>
    <name>hcm::PostgresMaintenance</name>
    <message>
        <source>configuring the maintenance connection</source>
        <translation>configuration de la connexion de maintenance</translation>
    </message>
    <message>
        <source>reading the server version</source>
        <translation>lecture de la version du serveur</translation>
    </message>
    <message>
        <source>reading the current role</source>
        <translation>lecture du rôle courant</translation>
    </message>
    <message>
        <source>listing the tables</source>
        <translation>liste des tables</translation>
    </message>
    <message>
        <source>reading the statistics of %1</source>
        <translation>lecture des statistiques de %1</translation>
    </message>
    <message>
        <source>The table %1 no longer exists.</source>
        <translation>La table %1 n&apos;existe plus.</translation>
    </message>
    <message>
        <source>analyzing %1</source>
        <translation>analyse de %1</translation>
    </message>
    <message>
        <source>vacuuming %1</source>
        <translation>nettoyage (vacuum) de %1</translation>
    </message>
    <message>
        <source>listing the indexes of %1</source>
        <translation>liste des index de %1</translation>
    </message>
    <message>
        <source>reading the size of %1</source>
        <translation>lecture de la taille de %1</translation>
    </message>
    <message>
        <source>rebuilding the index %1</source>
        <translation>reconstruction de l&apos;index %1</translation>
    </message>
</context>
<context>
    <name>hcm::PrivateFiles</name>
    <message>
        <source>Cannot create the folder %1: %2.</source>
        <translation>Impossible de créer le dossier %1 : %2.</translation>
    </message>
    <message>
        <source>%1 is not a folder.</source>
        <translation>%1 n&apos;est pas un dossier.</translation>
    </message>
    <message>
        <source>Cannot create %1: %2.</source>
        <translation>Impossible de créer %1 : %2.</translation>
    </message>
</context>
<context>
    <name>hcm::RateLimiter</name>
    <message>
        <source>reading the rate limit</source>
        <translation>lecture de la limite de débit</translation>
    </message>
    <message>
        <source>Too many %1: at most %2 per minute. The next one is allowed at %3 (in %4 s).</source>
        <translation>Trop de %1 : au plus %2 par minute. Le prochain est autorisé à %3 (dans %4 s).</translation>
    </message>
    <message>
        <source>recording a rate-limited action</source>
        <translation>enregistrement d&apos;une action à débit limité</translation>
    </message>
    <message>
        <source>pruning the rate limit</source>
        <translation>purge de la limite de débit</translation>
    </message>
    <message>
        <source>waiting for the rate limit</source>
        <translation>attente de la limite de débit</translation>
    </message>
</context>
<context>
    <name>hcm::Role</name>
    <message>
        <source>Viewer</source>
        <translation>Lecteur</translation>
    </message>
    <message>
        <source>Operator</source>
        <translation>Opérateur</translation>
    </message>
    <message>
        <source>System administrator</source>
        <translation>Administrateur système</translation>
    </message>
</context>
<context>
    <name>hcm::ScheduleService</name>
    <message>
        <source>The schedule needs a name.</source>
        <translation>La planification doit avoir un nom.</translation>
    </message>
    <message>
        <source>The name must not start or end with a space.</source>
        <translation>Le nom ne doit pas commencer ni finir par une espace.</translation>
    </message>
    <message>
        <source>The name has %1 characters; the limit is %2.</source>
        <translation>Le nom compte %1 caractères ; la limite est de %2.</translation>
    </message>
    <message>
        <source>Invalid cron expression: %1.</source>
        <translation>Expression cron non valide : %1.</translation>
    </message>
    <message>
        <source>Unknown time zone &quot;%1&quot;: use an IANA name such as Europe/Berlin or UTC.</source>
        <translation>Fuseau horaire inconnu « %1 » : utilisez un nom IANA comme Europe/Paris ou UTC.</translation>
    </message>
    <message>
        <source>A schedule named &quot;%1&quot; exists already.</source>
        <translation>Une planification nommée « %1 » existe déjà.</translation>
    </message>
    <message>
        <source>There is no schedule named &quot;%1&quot;.</source>
        <translation>Il n&apos;existe aucune planification nommée « %1 ».</translation>
    </message>
</context>
<context>
    <name>hcm::ScheduleStore</name>
    <message>
        <source>reading the database&apos;s time</source>
        <translation>lecture de l&apos;heure de la base de données</translation>
    </message>
    <message>
        <source>announcing a schedule change</source>
        <translation>annonce d&apos;une modification de planification</translation>
    </message>
    <message>
        <source>reading the schedules</source>
        <translation>lecture des planifications</translation>
    </message>
    <message>
        <source>reading schedule %1</source>
        <translation>lecture de la planification %1</translation>
    </message>
    <message>
        <source>There is no schedule %1.</source>
        <translation>Il n&apos;existe aucune planification %1.</translation>
    </message>
    <message>
        <source>adding schedule %1</source>
        <translation>ajout de la planification %1</translation>
    </message>
    <message>
        <source>adding schedule %1: no id came back</source>
        <translation>ajout de la planification %1 : aucun identifiant renvoyé</translation>
    </message>
    <message>
        <source>changing schedule %1</source>
        <translation>modification de la planification %1</translation>
    </message>
    <message>
        <source>deleting schedule %1</source>
        <translation>suppression de la planification %1</translation>
    </message>
    <message>
        <source>reading the jobs of schedule %1</source>
        <translation>lecture des tâches de la planification %1</translation>
    </message>
    <message>
        <source>running schedule %1</source>
        <translation>exécution de la planification %1</translation>
    </message>
    <message>
        <source>announcing a new job</source>
        <translation>annonce d&apos;une nouvelle tâche</translation>
    </message>
    <message>
        <source>reading the next due schedule</source>
        <translation>lecture de la prochaine planification due</translation>
    </message>
    <message>
        <source>computing the next run of schedule %1</source>
        <translation>calcul de la prochaine exécution de la planification %1</translation>
    </message>
    <message>
        <source>reading the due schedules</source>
        <translation>lecture des planifications dues</translation>
    </message>
    <message numerus="yes">
        <source>making the jobs of %n schedules</source>
        <translation>
            <numerusform>création des tâches de %n planification</numerusform>
            <numerusform>création des tâches de %n planifications</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>advancing %n schedules</source>
        <translation>
            <numerusform>avancement de %n planification</numerusform>
            <numerusform>avancement de %n planifications</numerusform>
        </translation>
    </message>
    <message>
        <source>A schedule changed while its due slot was claimed.</source>
        <translation>Une planification a changé pendant que son créneau dû était réservé.</translation>
    </message>
    <message>
        <source>announcing new jobs</source>
        <translation>annonce de nouvelles tâches</translation>
    </message>
</context>
<context>
    <name>hcm::SecretBox</name>
    <message>
        <source>The secret key in %1 is not valid: it must be %2 random bytes written in base64 (44 characters).</source>
        <translation>La clé secrète dans %1 n&apos;est pas valide : elle doit être composée de %2 octets aléatoires écrits en base64 (44 caractères).</translation>
    </message>
    <message>
        <source>Cannot create the folder %1 for the secret key file.</source>
        <translation>Impossible de créer le dossier %1 du fichier de clé secrète.</translation>
    </message>
    <message>
        <source>Cannot create the secret key file %1: %2</source>
        <translation>Impossible de créer le fichier de clé secrète %1 : %2</translation>
    </message>
    <message>
        <source>Cannot write the secret key file %1.</source>
        <translation>Impossible d&apos;écrire le fichier de clé secrète %1.</translation>
    </message>
    <message>
        <source>The encryption library (libsodium) could not be initialised.</source>
        <translation>La bibliothèque de chiffrement (libsodium) n&apos;a pas pu être initialisée.</translation>
    </message>
    <message>
        <source>The secret key file %1 does not exist, so the stored notification secrets cannot be decrypted. Restore the key file (or set HCM_SECRET_KEY), or set the secrets again.</source>
        <translation>Le fichier de clé secrète %1 n&apos;existe pas : les secrets de notification enregistrés ne peuvent donc pas être déchiffrés. Restaurez le fichier de clé (ou définissez HCM_SECRET_KEY), ou définissez à nouveau les secrets.</translation>
    </message>
    <message>
        <source>Cannot read the secret key file %1: %2</source>
        <translation>Impossible de lire le fichier de clé secrète %1 : %2</translation>
    </message>
    <message>
        <source>the key file %1</source>
        <translation>le fichier de clé %1</translation>
    </message>
    <message>
        <source>key file %1</source>
        <translation>fichier de clé %1</translation>
    </message>
    <message>
        <source>The stored %1 is damaged (not in the expected format); set it again.</source>
        <translation>La valeur enregistrée de %1 est endommagée (format inattendu) ; définissez-la à nouveau.</translation>
    </message>
    <message>
        <source>The stored %1 was encrypted with a different key (key id %2) than the one in use (%3, key id %4). Restore the original key, or set the secret again.</source>
        <translation>La valeur enregistrée de %1 a été chiffrée avec une autre clé (identifiant %2) que celle utilisée (%3, identifiant %4). Restaurez la clé d&apos;origine, ou définissez à nouveau le secret.</translation>
    </message>
    <message>
        <source>The stored %1 cannot be decrypted with the key from %2: it was altered or the key is wrong. Restore the original key, or set the secret again.</source>
        <translation>La valeur enregistrée de %1 ne peut pas être déchiffrée avec la clé de %2 : elle a été modifiée ou la clé est incorrecte. Restaurez la clé d&apos;origine, ou définissez à nouveau le secret.</translation>
    </message>
    <message>
        <source>HCM_SECRET_KEY from the environment</source>
        <translation>HCM_SECRET_KEY de l&apos;environnement</translation>
    </message>
</context>
<context>
    <name>hcm::SlackChannel</name>
    <message>
        <source> The webhook URL is no longer valid: create a new incoming webhook in Slack and set it here.</source>
        <translation> L&apos;URL du webhook n&apos;est plus valide : créez un nouveau webhook entrant dans Slack et indiquez-le ici.</translation>
    </message>
    <message>
        <source> Check the Slack channel setting.</source>
        <translation> Vérifiez le paramètre du canal Slack.</translation>
    </message>
    <message>
        <source> A Slack administrator restricted posting to that channel.</source>
        <translation> Un administrateur Slack a restreint la publication dans ce canal.</translation>
    </message>
    <message>
        <source>Slack says: %1 (HTTP %2).%3</source>
        <translation>Slack indique : %1 (HTTP %2).%3</translation>
    </message>
    <message>
        <source>Set it again in the notification settings.</source>
        <translation>Définissez-le à nouveau dans les paramètres de notification.</translation>
    </message>
</context>
<context>
    <name>hcm::SmtpChannel</name>
    <message>
        <source>The email library (libcurl) could not start.</source>
        <translation>La bibliothèque d&apos;e-mail (libcurl) n&apos;a pas pu démarrer.</translation>
    </message>
    <message>
        <source>The SMTP server %1 rejected the user name or password%2. Check the SMTP user name and password.</source>
        <translation>Le serveur SMTP %1 a refusé le nom d&apos;utilisateur ou le mot de passe%2. Vérifiez le nom d&apos;utilisateur et le mot de passe SMTP.</translation>
    </message>
    <message>
        <source>The certificate of %1 is not trusted (%2). Install the issuing CA on this machine, or name its file as the extra trusted CA in the notification settings.</source>
        <translation>Le certificat de %1 n&apos;est pas approuvé (%2). Installez l&apos;AC émettrice sur cette machine, ou indiquez son fichier comme AC de confiance supplémentaire dans les paramètres de notification.</translation>
    </message>
    <message>
        <source>The SMTP server %1 does not offer STARTTLS. Choose implicit TLS (usually port 465) or check the port.</source>
        <translation>Le serveur SMTP %1 ne propose pas STARTTLS. Choisissez TLS implicite (généralement port 465) ou vérifiez le port.</translation>
    </message>
    <message>
        <source>The TLS handshake with %1 failed (%2). If the server expects STARTTLS (usually port 587), choose STARTTLS instead of implicit TLS.</source>
        <translation>La négociation TLS avec %1 a échoué (%2). Si le serveur attend STARTTLS (généralement port 587), choisissez STARTTLS au lieu de TLS implicite.</translation>
    </message>
    <message>
        <source>The SMTP server name %1 could not be resolved. Check the host name.</source>
        <translation>Le nom du serveur SMTP %1 n&apos;a pas pu être résolu. Vérifiez le nom d&apos;hôte.</translation>
    </message>
    <message>
        <source>Could not connect to the SMTP server %1 (%2). Check the host, the port and the firewall.</source>
        <translation>Impossible de se connecter au serveur SMTP %1 (%2). Vérifiez l&apos;hôte, le port et le pare-feu.</translation>
    </message>
    <message>
        <source>Could not connect to the SMTP server %1 within %2 s.</source>
        <translation>Impossible de se connecter au serveur SMTP %1 dans les %2 s.</translation>
    </message>
    <message>
        <source>The SMTP server %1 accepted the connection but did not answer within %2 s%3.</source>
        <translation>Le serveur SMTP %1 a accepté la connexion mais n&apos;a pas répondu dans les %2 s%3.</translation>
    </message>
    <message>
        <source> (no greeting)</source>
        <translation> (pas de message d&apos;accueil)</translation>
    </message>
    <message>
        <source> (after %1)</source>
        <translation> (après %1)</translation>
    </message>
    <message>
        <source>Sending the email was cancelled.</source>
        <translation>L&apos;envoi de l&apos;e-mail a été annulé.</translation>
    </message>
    <message>
        <source>The SMTP server %1 requires a login%2: set the SMTP user name and password.</source>
        <translation>Le serveur SMTP %1 exige une authentification%2 : définissez le nom d&apos;utilisateur et le mot de passe SMTP.</translation>
    </message>
    <message>
        <source>The SMTP server %1 refused the recipients%2.</source>
        <translation>Le serveur SMTP %1 a refusé les destinataires%2.</translation>
    </message>
    <message>
        <source>The SMTP server %1 refused the sender address %2%3.</source>
        <translation>Le serveur SMTP %1 a refusé l&apos;adresse d&apos;expéditeur %2%3.</translation>
    </message>
    <message>
        <source>The SMTP server %1 refused the message%2.</source>
        <translation>Le serveur SMTP %1 a refusé le message%2.</translation>
    </message>
    <message>
        <source>Sending the email through %1 failed: %2%3.</source>
        <translation>L&apos;envoi de l&apos;e-mail via %1 a échoué : %2%3.</translation>
    </message>
    <message>
        <source>Not sent: without encryption the SMTP password would travel to %1 readable by anyone on the way. Choose STARTTLS or TLS in the notification settings, or clear the user name and password.</source>
        <translation>Non envoyé : sans chiffrement, le mot de passe SMTP arriverait à %1 lisible par quiconque sur le trajet. Choisissez STARTTLS ou TLS dans les paramètres de notification, ou effacez le nom d&apos;utilisateur et le mot de passe.</translation>
    </message>
</context>
<context>
    <name>hcm::TwilioChannel</name>
    <message>
        <source>The Twilio API address %1 is not an https:// URL.</source>
        <translation>L&apos;adresse de l&apos;API Twilio %1 n&apos;est pas une URL https://.</translation>
    </message>
    <message>
        <source> The account SID or auth token is wrong.</source>
        <translation> Le SID du compte ou le jeton d&apos;authentification est incorrect.</translation>
    </message>
    <message>
        <source> Check the account SID.</source>
        <translation> Vérifiez le SID du compte.</translation>
    </message>
    <message>
        <source> Check the recipient number %1.</source>
        <translation> Vérifiez le numéro du destinataire %1.</translation>
    </message>
    <message>
        <source> The sender number %1 is not one of your Twilio numbers.</source>
        <translation> Le numéro d&apos;expéditeur %1 ne fait pas partie de vos numéros Twilio.</translation>
    </message>
    <message>
        <source> Enable SMS to that country in the Twilio console (geo permissions).</source>
        <translation> Autorisez les SMS vers ce pays dans la console Twilio (autorisations géographiques).</translation>
    </message>
    <message>
        <source>Twilio answered HTTP %1 without an error message.</source>
        <translation>Twilio a répondu HTTP %1 sans message d&apos;erreur.</translation>
    </message>
    <message>
        <source>Twilio says: %1 (error %2).%3</source>
        <translation>Twilio indique : %1 (erreur %2).%3</translation>
    </message>
</context>
<context>
    <name>hcm::UserService</name>
    <message>
        <source>reading the user %1</source>
        <translation>lecture de l&apos;utilisateur %1</translation>
    </message>
    <message>
        <source>counting the system administrators</source>
        <translation>comptage des administrateurs système</translation>
    </message>
    <message>
        <source>giving %1 the role %2</source>
        <translation>attribution du rôle %2 à %1</translation>
    </message>
    <message>
        <source>Changing roles on PostgreSQL needs a login with CREATEROLE or ADMIN OPTION on the group roles, and the login %1 must exist (CREATE ROLE %1 LOGIN;).</source>
        <translation>Modifier les rôles sous PostgreSQL nécessite une connexion avec CREATEROLE ou ADMIN OPTION sur les rôles de groupe, et la connexion %1 doit exister (CREATE ROLE %1 LOGIN;).</translation>
    </message>
    <message>
        <source>The user name is empty.</source>
        <translation>Le nom d&apos;utilisateur est vide.</translation>
    </message>
    <message>
        <source>The user name is %1 characters long; the limit is %2.</source>
        <translation>Le nom d&apos;utilisateur fait %1 caractères ; la limite est de %2.</translation>
    </message>
    <message>
        <source>The user name &quot;%1&quot; may contain only letters, digits and . _ - @.</source>
        <translation>Le nom d&apos;utilisateur « %1 » ne peut contenir que des lettres, des chiffres et . _ - @.</translation>
    </message>
    <message>
        <source>reading the users</source>
        <translation>lecture des utilisateurs</translation>
    </message>
    <message>
        <source>The display name is %1 characters long; the limit is 200.</source>
        <translation>Le nom affiché fait %1 caractères ; la limite est de 200.</translation>
    </message>
    <message>
        <source>The user &quot;%1&quot; exists already (%2%3); change it with set-role or enable.</source>
        <translation>L&apos;utilisateur « %1 » existe déjà (%2%3) ; modifiez-le avec set-role ou enable.</translation>
    </message>
    <message>
        <source>, disabled</source>
        <translation>, désactivé</translation>
    </message>
    <message>
        <source>adding the user %1</source>
        <translation>ajout de l&apos;utilisateur %1</translation>
    </message>
    <message>
        <source>There is no user &quot;%1&quot;; add it with: hcmctl users add %1 --role %2.</source>
        <translation>Il n&apos;existe aucun utilisateur « %1 » ; ajoutez-le avec : hcmctl users add %1 --role %2.</translation>
    </message>
    <message>
        <source>%1 is the last system administrator and cannot become %2: make someone else a system administrator first.</source>
        <translation>%1 est le dernier administrateur système et ne peut pas devenir %2 : nommez d&apos;abord quelqu&apos;un d&apos;autre administrateur système.</translation>
    </message>
    <message>
        <source>changing the role of %1</source>
        <translation>modification du rôle de %1</translation>
    </message>
    <message>
        <source>There is no user &quot;%1&quot;.</source>
        <translation>Il n&apos;existe aucun utilisateur « %1 ».</translation>
    </message>
    <message>
        <source>%1 is the last system administrator and cannot be disabled: make someone else a system administrator first.</source>
        <translation>%1 est le dernier administrateur système et ne peut pas être désactivé : nommez d&apos;abord quelqu&apos;un d&apos;autre administrateur système.</translation>
    </message>
    <message>
        <source>changing the user %1</source>
        <translation>modification de l&apos;utilisateur %1</translation>
    </message>
</context>
<context>
    <name>hcm::WorkerPool</name>
    <message>
        <source>Could not save %1 job results; retrying in %2 ms: %3</source>
        <translation>Impossible d&apos;enregistrer %1 résultats de tâches ; nouvel essai dans %2 ms : %3</translation>
    </message>
    <message>
        <source>The database is unreachable; reconnecting: %1</source>
        <translation>La base de données est inaccessible ; reconnexion : %1</translation>
    </message>
    <message>
        <source>Could not return %1 jobs to the queue; their leases will expire: %2</source>
        <translation>Impossible de remettre %1 tâches en file ; leurs baux vont expirer : %2</translation>
    </message>
    <message>
        <source>the database is unreachable</source>
        <translation>la base de données est inaccessible</translation>
    </message>
    <message>
        <source>Could not return %1 unstarted jobs to the queue; retrying: %2</source>
        <translation>Impossible de remettre en file %1 tâches non démarrées ; nouvel essai : %2</translation>
    </message>
    <message>
        <source>The database refused %1 claims in a row; giving up: %2</source>
        <translation>La base de données a refusé %1 réservations d&apos;affilée ; abandon : %2</translation>
    </message>
    <message>
        <source>Could not claim jobs (%1 refused in a row); retrying in %2 s: %3</source>
        <translation>Impossible de réserver des tâches (%1 refus d&apos;affilée) ; nouvel essai dans %2 s : %3</translation>
    </message>
    <message>
        <source>The database stayed unreachable after %1 tries; giving up: %2</source>
        <translation>La base de données est restée injoignable après %1 essais ; abandon : %2</translation>
    </message>
</context>
<context>
    <name>hcm::api::ApiServer</name>
    <message numerus="yes">
        <source>The request has %n errors.</source>
        <translation>
            <numerusform>La requête comporte %n erreur.</numerusform>
            <numerusform>La requête comporte %n erreurs.</numerusform>
        </translation>
    </message>
    <message>
        <source>The database is not available; try again later.</source>
        <translation>La base de données n&apos;est pas disponible ; réessayez plus tard.</translation>
    </message>
    <message>
        <source>The server could not complete the request.</source>
        <translation>Le serveur n&apos;a pas pu traiter la requête.</translation>
    </message>
    <message>
        <source>The body must be JSON, sent with Content-Type: application/json.</source>
        <translation>Le corps doit être du JSON, envoyé avec Content-Type: application/json.</translation>
    </message>
    <message>
        <source>The body is not valid JSON: %1 at byte %2.</source>
        <translation>Le corps n&apos;est pas du JSON valide : %1 à l&apos;octet %2.</translation>
    </message>
    <message>
        <source>The body must be a JSON object.</source>
        <translation>Le corps doit être un objet JSON.</translation>
    </message>
    <message>
        <source>Unknown parameter; use status, job_type, limit or cursor.</source>
        <translation>Paramètre inconnu ; utilisez status, job_type, limit ou cursor.</translation>
    </message>
    <message>
        <source>Unknown status &quot;%1&quot;: use queued, processing, completed, failed or cancelled.</source>
        <translation>Statut inconnu « %1 » : utilisez queued, processing, completed, failed ou cancelled.</translation>
    </message>
    <message>
        <source>limit must be a whole number from 1 to 500.</source>
        <translation>limit doit être un nombre entier de 1 à 500.</translation>
    </message>
    <message>
        <source>Unknown field; use job_type, priority, payload, max_retries or run_at.</source>
        <translation>Champ inconnu ; utilisez job_type, priority, payload, max_retries ou run_at.</translation>
    </message>
    <message>
        <source>job_type is required: the name of a job type.</source>
        <translation>job_type est obligatoire : le nom d&apos;un type de tâche.</translation>
    </message>
    <message>
        <source>Unknown job type &quot;%1&quot;; known types: %2.</source>
        <translation>Type de tâche inconnu « %1 » ; types connus : %2.</translation>
    </message>
    <message>
        <source>priority must be one of low, normal, high, critical.</source>
        <translation>priority doit valoir low, normal, high ou critical.</translation>
    </message>
    <message>
        <source>payload must be a JSON object.</source>
        <translation>payload doit être un objet JSON.</translation>
    </message>
    <message>
        <source>max_retries must be a whole number from 0 to %1.</source>
        <translation>max_retries doit être un nombre entier de 0 à %1.</translation>
    </message>
    <message>
        <source>run_at must be a string.</source>
        <translation>run_at doit être une chaîne.</translation>
    </message>
    <message>
        <source>Idempotency-Key must be 1 to 255 visible ASCII characters.</source>
        <translation>Idempotency-Key doit comporter de 1 à 255 caractères ASCII visibles.</translation>
    </message>
    <message>
        <source>This Idempotency-Key was used for a different request within 24 hours.</source>
        <translation>Cette Idempotency-Key a été utilisée pour une autre requête au cours des dernières 24 heures.</translation>
    </message>
    <message>
        <source>There is no job &quot;%1&quot;.</source>
        <translation>Il n&apos;existe aucune tâche « %1 ».</translation>
    </message>
    <message>
        <source>Job %1 is %2 already: there is nothing to cancel.</source>
        <translation>La tâche %1 est déjà à l&apos;état %2 : il n&apos;y a rien à annuler.</translation>
    </message>
    <message>
        <source>The job could not be cancelled.</source>
        <translation>La tâche n&apos;a pas pu être annulée.</translation>
    </message>
    <message>
        <source>version is required: the version of the settings you read (GET).</source>
        <translation>version est obligatoire : la version des paramètres que vous avez lus (GET).</translation>
    </message>
    <message>
        <source>Changed by someone else since version %1.</source>
        <translation>Modifié par quelqu&apos;un d&apos;autre depuis la version %1.</translation>
    </message>
    <message>
        <source>recipient must be an email address.</source>
        <translation>recipient doit être une adresse e-mail.</translation>
    </message>
    <message>
        <source>Send a token: Authorization: Bearer &lt;token&gt; (hcmctl tokens create).</source>
        <translation>Envoyez un jeton : Authorization: Bearer &lt;token&gt; (hcmctl tokens create).</translation>
    </message>
    <message>
        <source>Only Bearer tokens are accepted: Authorization: Bearer &lt;token&gt;.</source>
        <translation>Seuls les jetons Bearer sont acceptés : Authorization: Bearer &lt;token&gt;.</translation>
    </message>
    <message>
        <source>Too many requests: at most %1 per minute for this token; try again in %2 s.</source>
        <translation>Trop de requêtes : au plus %1 par minute pour ce jeton ; réessayez dans %2 s.</translation>
    </message>
    <message>
        <source>The API description is missing from this build.</source>
        <translation>La description de l&apos;API est absente de cette version.</translation>
    </message>
    <message>
        <source>The cursor is not one this server gave out: send next_cursor of the previous page as it is.</source>
        <translation>Ce curseur n&apos;a pas été émis par ce serveur : renvoyez tel quel le next_cursor de la page précédente.</translation>
    </message>
    <message>
        <source>The cursor belongs to a listing with other filters: send the same status and job_type as the request that returned it.</source>
        <translation>Ce curseur appartient à une liste avec d&apos;autres filtres : envoyez les mêmes status et job_type que la requête qui l&apos;a renvoyé.</translation>
    </message>
    <message>
        <source>reading the new job</source>
        <translation>lecture de la nouvelle tâche</translation>
    </message>
    <message>
        <source>The new job was not found.</source>
        <translation>La nouvelle tâche est introuvable.</translation>
    </message>
</context>
<context>
    <name>hcm::api::HttpServer</name>
    <message>
        <source>The request was not received in time.</source>
        <translation>La requête n&apos;a pas été reçue à temps.</translation>
    </message>
    <message>
        <source>The request head is larger than %1 bytes.</source>
        <translation>L&apos;en-tête de la requête dépasse %1 octets.</translation>
    </message>
    <message>
        <source>The request body is larger than %1 bytes.</source>
        <translation>Le corps de la requête dépasse %1 octets.</translation>
    </message>
    <message>
        <source>The request line is malformed.</source>
        <translation>La ligne de requête est mal formée.</translation>
    </message>
    <message>
        <source>Only HTTP/1.1 and HTTP/1.0 are served.</source>
        <translation>Seuls HTTP/1.1 et HTTP/1.0 sont pris en charge.</translation>
    </message>
    <message>
        <source>The request target is malformed.</source>
        <translation>La cible de la requête est mal formée.</translation>
    </message>
    <message>
        <source>A header field is malformed.</source>
        <translation>Un champ d&apos;en-tête est mal formé.</translation>
    </message>
    <message>
        <source>Content-Length is not valid.</source>
        <translation>Content-Length n&apos;est pas valide.</translation>
    </message>
    <message>
        <source>Send the body with Content-Length; chunked transfer encoding is not accepted.</source>
        <translation>Envoyez le corps avec Content-Length ; l&apos;encodage de transfert chunked n&apos;est pas accepté.</translation>
    </message>
    <message>
        <source>Too many connections; try again later.</source>
        <translation>Trop de connexions ; réessayez plus tard.</translation>
    </message>
</context>
<context>
    <name>hcm::app</name>
    <message>
        <source>The database: a SQLite file path (default: %1), or postgresql://user:password@host:port/dbname (parts left out come from PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE).</source>
        <translation>La base de données : un chemin de fichier SQLite (par défaut : %1) ou postgresql://user:password@host:port/dbname (les parties omises proviennent de PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE).</translation>
    </message>
    <message>
        <source>path</source>
        <translation>chemin</translation>
    </message>
</context>
<context>
    <name>hcm::ctl</name>
    <message>
        <source>Usage: hcmctl [--db PATH] [--json] %1</source>
        <translation>Utilisation : hcmctl [--db CHEMIN] [--json] %1</translation>
    </message>
    <message>
        <source>--%1 needs a whole number of at least %2; &quot;%3&quot; was given.</source>
        <translation>--%1 attend un nombre entier d&apos;au moins %2 ; « %3 » a été indiqué.</translation>
    </message>
    <message>
        <source>Run &quot;hcmctl %1 --help&quot; for details.</source>
        <translation>Lancez « hcmctl %1 --help » pour plus de détails.</translation>
    </message>
    <message>
        <source>TYPE</source>
        <translation>TYPE</translation>
    </message>
    <message>
        <source>The job type; &quot;hcmctl jobs types&quot; lists them.</source>
        <translation>Le type de tâche ; « hcmctl jobs types » les liste.</translation>
    </message>
    <message>
        <source>Creates a job and prints its id.</source>
        <translation>Crée une tâche et affiche son identifiant.</translation>
    </message>
    <message>
        <source>low, normal (default), high or critical.</source>
        <translation>low, normal (par défaut), high ou critical.</translation>
    </message>
    <message>
        <source>PRIORITY</source>
        <translation>PRIORITÉ</translation>
    </message>
    <message>
        <source>The payload, a JSON object; @FILE reads it from a file, - from standard input.</source>
        <translation>Le payload, un objet JSON ; @FICHIER le lit depuis un fichier, - depuis l&apos;entrée standard.</translation>
    </message>
    <message>
        <source>JSON</source>
        <translation>JSON</translation>
    </message>
    <message>
        <source>Retries after a failure, 0 to 25 (default 3).</source>
        <translation>Nouveaux essais après un échec, de 0 à 25 (3 par défaut).</translation>
    </message>
    <message>
        <source>N</source>
        <translation>N</translation>
    </message>
    <message>
        <source>Start no earlier than this ISO 8601 time.</source>
        <translation>Ne pas démarrer avant cette heure ISO 8601.</translation>
    </message>
    <message>
        <source>TIME</source>
        <translation>HEURE</translation>
    </message>
    <message>
        <source>Lists jobs, newest first, with filters.</source>
        <translation>Liste les tâches, les plus récentes d&apos;abord, avec des filtres.</translation>
    </message>
    <message>
        <source>Only these statuses (comma-separated).</source>
        <translation>Uniquement ces statuts (séparés par des virgules).</translation>
    </message>
    <message>
        <source>STATUS</source>
        <translation>STATUT</translation>
    </message>
    <message>
        <source>Only this job type.</source>
        <translation>Uniquement ce type de tâche.</translation>
    </message>
    <message>
        <source>Match the id, type or error text.</source>
        <translation>Rechercher dans l&apos;identifiant, le type ou le texte d&apos;erreur.</translation>
    </message>
    <message>
        <source>TEXT</source>
        <translation>TEXTE</translation>
    </message>
    <message>
        <source>At most N jobs (default 50).</source>
        <translation>Au plus N tâches (50 par défaut).</translation>
    </message>
    <message>
        <source>Skip the first N jobs.</source>
        <translation>Ignorer les N premières tâches.</translation>
    </message>
    <message>
        <source>id (default), created, status, type or priority.</source>
        <translation>id (par défaut), created, status, type ou priority.</translation>
    </message>
    <message>
        <source>COLUMN</source>
        <translation>COLONNE</translation>
    </message>
    <message>
        <source>ID</source>
        <translation>ID</translation>
    </message>
    <message>
        <source>The job id, as job_12 or 12.</source>
        <translation>L&apos;identifiant de la tâche, sous la forme job_12 ou 12.</translation>
    </message>
    <message>
        <source>Shows one job with its payload, result and attempts.</source>
        <translation>Affiche une tâche avec son payload, son résultat et ses essais.</translation>
    </message>
    <message>
        <source>ID...</source>
        <translation>ID...</translation>
    </message>
    <message>
        <source>One or more job ids, as job_12 or 12.</source>
        <translation>Un ou plusieurs identifiants de tâches, sous la forme job_12 ou 12.</translation>
    </message>
    <message>
        <source>Lists the job types with their payload templates.</source>
        <translation>Liste les types de tâches avec leurs modèles de payload.</translation>
    </message>
    <message>
        <source>Applies pending schema migrations.</source>
        <translation>Applique les migrations de schéma en attente.</translation>
    </message>
    <message>
        <source>Shows the notification settings (secrets only as set or unset).</source>
        <translation>Affiche les paramètres de notification (les secrets seulement comme définis ou non).</translation>
    </message>
    <message>
        <source>KEY=VALUE...</source>
        <translation>KEY=VALUE...</translation>
    </message>
    <message>
        <source>Settings to change; &quot;hcmctl settings show&quot; lists the keys.</source>
        <translation>Paramètres à modifier ; « hcmctl settings show » liste les clés.</translation>
    </message>
    <message>
        <source>Changes notification settings; nothing is saved if any value is invalid.</source>
        <translation>Modifie les paramètres de notification ; rien n&apos;est enregistré si une valeur n&apos;est pas valide.</translation>
    </message>
    <message>
        <source>Also set this secret (smtp_password, twilio_auth_token, slack_webhook_url) from standard input.</source>
        <translation>Définir aussi ce secret (smtp_password, twilio_auth_token, slack_webhook_url) depuis l&apos;entrée standard.</translation>
    </message>
    <message>
        <source>KEY</source>
        <translation>CLÉ</translation>
    </message>
    <message>
        <source>smtp_password, twilio_auth_token or slack_webhook_url.</source>
        <translation>smtp_password, twilio_auth_token ou slack_webhook_url.</translation>
    </message>
    <message>
        <source>Removes a stored secret.</source>
        <translation>Supprime un secret enregistré.</translation>
    </message>
    <message>
        <source>CHANNEL</source>
        <translation>CANAL</translation>
    </message>
    <message>
        <source>email, sms or slack.</source>
        <translation>email, sms ou slack.</translation>
    </message>
    <message>
        <source>Really sends a test message (at most 5 per minute).</source>
        <translation>Envoie réellement un message de test (au plus 5 par minute).</translation>
    </message>
    <message>
        <source>Send to this address or number instead of the configured recipients.</source>
        <translation>Envoyer à cette adresse ou ce numéro au lieu des destinataires configurés.</translation>
    </message>
    <message>
        <source>ADDRESS</source>
        <translation>ADRESSE</translation>
    </message>
    <message>
        <source>Lists notification deliveries, newest first, or those of one job.</source>
        <translation>Liste les envois de notifications, les plus récents d&apos;abord, ou ceux d&apos;une tâche.</translation>
    </message>
    <message>
        <source>Only the deliveries made by or about this job.</source>
        <translation>Uniquement les envois faits par cette tâche ou à son sujet.</translation>
    </message>
    <message>
        <source>At most N deliveries (default 50).</source>
        <translation>Au plus N envois (50 par défaut).</translation>
    </message>
    <message>
        <source>PATH</source>
        <translation>CHEMIN</translation>
    </message>
    <message>
        <source>Print results as JSON.</source>
        <translation>Afficher les résultats en JSON.</translation>
    </message>
    <message>
        <source>[options]</source>
        <translation>[options]</translation>
    </message>
    <message>
        <source>Usage: hcmctl [--db PATH] [--json] &lt;command&gt; [arguments]

HCM Admin command-line client: background jobs and the database.

Commands:
</source>
        <translation>Utilisation : hcmctl [--db CHEMIN] [--json] &lt;commande&gt; [arguments]

Client en ligne de commande de HCM Admin : tâches d&apos;arrière-plan et base de données.

Commandes :
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
Options globales :
  --db CHEMIN la base de données : un chemin de fichier SQLite (par défaut : %1) ou
              postgresql://user:password@host:port/dbname ; les parties omises proviennent de
              PGHOST, PGPORT, PGUSER, PGPASSWORD et PGDATABASE (postgresql:///dbname)
  --json      afficher les résultats en JSON
  --help      afficher l&apos;aide (aussi après une commande : hcmctl jobs list --help)
  --version   afficher la version

Codes de sortie : 0 succès, 1 l&apos;opération a échoué, 2 erreur d&apos;utilisation.
</translation>
    </message>
    <message>
        <source>Run &quot;hcmctl --help&quot; for the list of commands.</source>
        <translation>Lancez « hcmctl --help » pour la liste des commandes.</translation>
    </message>
    <message>
        <source>%1 is missing: %2</source>
        <translation>%1 manquant : %2</translation>
    </message>
    <message>
        <source>Unexpected argument &quot;%1&quot;.</source>
        <translation>Argument inattendu « %1 ».</translation>
    </message>
    <message>
        <source>Unknown command &quot;%1&quot;.</source>
        <translation>Commande inconnue « %1 ».</translation>
    </message>
    <message>
        <source>Usage: hcmctl [--db PATH] [--json] &lt;command&gt; [arguments]</source>
        <translation>Utilisation : hcmctl [--db CHEMIN] [--json] &lt;commande&gt; [arguments]</translation>
    </message>
    <message>
        <source>Usage: hcmctl %1 %2 …</source>
        <translation>Utilisation : hcmctl %1 %2 …</translation>
    </message>
    <message>
        <source>&quot;%1&quot; needs a command: %2.</source>
        <translation>« %1 » attend une commande : %2.</translation>
    </message>
    <message>
        <source>Unknown command &quot;%1 %2&quot;.</source>
        <translation>Commande inconnue « %1 %2 ».</translation>
    </message>
    <message>
        <source>total</source>
        <translation>total</translation>
    </message>
    <message>
        <source>payload template: %1</source>
        <translation>modèle de payload : %1</translation>
    </message>
    <message>
        <source>time limit: %1 s</source>
        <translation>limite de temps : %1 s</translation>
    </message>
    <message>
        <source>applied migration %1_%2</source>
        <translation>migration %1_%2 appliquée</translation>
    </message>
    <message>
        <source>schema version %1 (up to date)</source>
        <translation>version du schéma %1 (à jour)</translation>
    </message>
    <message>
        <source> (+ %1 write-ahead log)</source>
        <translation> (+ %1 de journal WAL)</translation>
    </message>
    <message>
        <source>jobs:</source>
        <translation>tâches :</translation>
    </message>
    <message>
        <source>Sort ascending instead of descending.</source>
        <translation>Trier par ordre croissant plutôt que décroissant.</translation>
    </message>
    <message>
        <source>cancelling</source>
        <translation>annulation en cours</translation>
    </message>
    <message>
        <source>retrying in %1 min</source>
        <translation>nouvel essai dans %1 min</translation>
    </message>
    <message>
        <source>(none)</source>
        <translation>(aucun)</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a job id; write job_12 or 12.</source>
        <translation>« %1 » n&apos;est pas un identifiant de tâche ; écrivez job_12 ou 12.</translation>
    </message>
    <message>
        <source>Cannot read the payload from standard input: %1</source>
        <translation>Impossible de lire le payload depuis l&apos;entrée standard : %1</translation>
    </message>
    <message>
        <source>Cannot read the payload file %1: %2</source>
        <translation>Impossible de lire le fichier de payload %1 : %2</translation>
    </message>
    <message>
        <source>Unknown status &quot;%1&quot;: use queued, processing, completed, failed or cancelled.</source>
        <translation>Statut inconnu « %1 » : utilisez queued, processing, completed, failed ou cancelled.</translation>
    </message>
    <message>
        <source>Unknown sort column &quot;%1&quot;: use id, created, status, type or priority.</source>
        <translation>Colonne de tri inconnue « %1 » : utilisez id, created, status, type ou priority.</translation>
    </message>
    <message>
        <source>ATTEMPTS</source>
        <translation>ESSAIS</translation>
    </message>
    <message>
        <source>CREATED</source>
        <translation>CRÉÉE</translation>
    </message>
    <message>
        <source>ERROR</source>
        <translation>ERREUR</translation>
    </message>
    <message>
        <source>%1 of %2 jobs</source>
        <translation>%1 tâches sur %2</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>Type</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Statut</translation>
    </message>
    <message>
        <source>Priority</source>
        <translation>Priorité</translation>
    </message>
    <message>
        <source>Retries</source>
        <translation>Nouvelles tentatives</translation>
    </message>
    <message>
        <source>%1 of %2 used</source>
        <translation>%1 sur %2 utilisées</translation>
    </message>
    <message>
        <source>Attempts</source>
        <translation>Essais</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>Créée</translation>
    </message>
    <message>
        <source>Created by</source>
        <translation>Créée par</translation>
    </message>
    <message>
        <source>Run at</source>
        <translation>Exécution à</translation>
    </message>
    <message>
        <source>Started</source>
        <translation>Démarrée</translation>
    </message>
    <message>
        <source>Completed</source>
        <translation>Terminée</translation>
    </message>
    <message>
        <source>Worker</source>
        <translation>Worker</translation>
    </message>
    <message>
        <source>Progress</source>
        <translation>Progression</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>Erreur</translation>
    </message>
    <message>
        <source>Payload:</source>
        <translation>Payload :</translation>
    </message>
    <message>
        <source>Result:</source>
        <translation>Résultat :</translation>
    </message>
    <message>
        <source>Attempt history:</source>
        <translation>Historique des essais :</translation>
    </message>
    <message>
        <source>(no finished attempts)</source>
        <translation>(aucun essai terminé)</translation>
    </message>
    <message>
        <source>ATTEMPT</source>
        <translation>ESSAI</translation>
    </message>
    <message>
        <source>WORKER</source>
        <translation>WORKER</translation>
    </message>
    <message>
        <source>STARTED</source>
        <translation>DÉBUT</translation>
    </message>
    <message>
        <source>FINISHED</source>
        <translation>FIN</translation>
    </message>
    <message>
        <source>OUTCOME</source>
        <translation>RÉSULTAT</translation>
    </message>
    <message>
        <source>cancellation requested (running)</source>
        <translation>annulation demandée (en cours)</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>annulée</translation>
    </message>
    <message>
        <source>queued for retry</source>
        <translation>remise en file pour un nouvel essai</translation>
    </message>
    <message>
        <source>deleted</source>
        <translation>supprimée</translation>
    </message>
    <message>
        <source>Nothing was saved.</source>
        <translation>Rien n&apos;a été enregistré.</translation>
    </message>
    <message>
        <source>Cannot read standard input.</source>
        <translation>Impossible de lire l&apos;entrée standard.</translation>
    </message>
    <message>
        <source>Standard input is empty: pipe the secret in (hcmctl settings clear-secret KEY removes one).</source>
        <translation>L&apos;entrée standard est vide : transmettez le secret par un tube (hcmctl settings clear-secret KEY en supprime un).</translation>
    </message>
    <message>
        <source>VALUE</source>
        <translation>VALEUR</translation>
    </message>
    <message>
        <source>Give KEY=VALUE pairs, or --secret-stdin KEY.</source>
        <translation>Indiquez des paires KEY=VALUE, ou --secret-stdin KEY.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a secret; secrets are %2.</source>
        <translation>« %1 » n&apos;est pas un secret ; les secrets sont %2.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not KEY=VALUE.</source>
        <translation>« %1 » n&apos;est pas de la forme KEY=VALUE.</translation>
    </message>
    <message>
        <source>%1 is a secret: pass it on standard input with --secret-stdin %1, never on the command line.</source>
        <translation>%1 est un secret : passez-le sur l&apos;entrée standard avec --secret-stdin %1, jamais sur la ligne de commande.</translation>
    </message>
    <message>
        <source>Unknown setting &quot;%1&quot;; &quot;hcmctl settings show&quot; lists them.</source>
        <translation>Paramètre inconnu « %1 » ; « hcmctl settings show » les liste.</translation>
    </message>
    <message>
        <source>saved (version %1)</source>
        <translation>enregistré (version %1)</translation>
    </message>
    <message>
        <source>%1 cleared (version %2)</source>
        <translation>%1 effacé (version %2)</translation>
    </message>
    <message>
        <source>Unknown channel &quot;%1&quot;: use email, sms or slack.</source>
        <translation>Canal inconnu « %1 » : utilisez email, sms ou slack.</translation>
    </message>
    <message>
        <source>delivered to %1 in %2 ms: %3</source>
        <translation>remis à %1 en %2 ms : %3</translation>
    </message>
    <message>
        <source>not delivered to %1 (%2 ms): %3</source>
        <translation>non remis à %1 (%2 ms) : %3</translation>
    </message>
    <message>
        <source>RECIPIENT</source>
        <translation>DESTINATAIRE</translation>
    </message>
    <message>
        <source>EVENT</source>
        <translation>ÉVÉNEMENT</translation>
    </message>
    <message>
        <source>LATENCY</source>
        <translation>LATENCE</translation>
    </message>
    <message>
        <source>DETAIL</source>
        <translation>DÉTAIL</translation>
    </message>
    <message numerus="yes">
        <source>%n deliveries</source>
        <translation>
            <numerusform>%n envoi</numerusform>
            <numerusform>%n envois</numerusform>
        </translation>
    </message>
    <message>
        <source>backend:</source>
        <translation>moteur :</translation>
    </message>
    <message>
        <source>server:</source>
        <translation>serveur :</translation>
    </message>
    <message>
        <source>PostgreSQL %1</source>
        <translation>PostgreSQL %1</translation>
    </message>
    <message>
        <source>host:</source>
        <translation>hôte :</translation>
    </message>
    <message>
        <source>port:</source>
        <translation>port :</translation>
    </message>
    <message>
        <source>database:</source>
        <translation>base de données :</translation>
    </message>
    <message>
        <source>user:</source>
        <translation>utilisateur :</translation>
    </message>
    <message>
        <source>connection:</source>
        <translation>connexion :</translation>
    </message>
    <message>
        <source>encrypted (%1)</source>
        <translation>chiffrée (%1)</translation>
    </message>
    <message>
        <source>not encrypted</source>
        <translation>non chiffrée</translation>
    </message>
    <message>
        <source>database size:</source>
        <translation>taille de la base :</translation>
    </message>
    <message>
        <source>location:</source>
        <translation>emplacement :</translation>
    </message>
    <message>
        <source>SQLite:</source>
        <translation>SQLite :</translation>
    </message>
    <message>
        <source>journal mode:</source>
        <translation>mode de journal :</translation>
    </message>
    <message>
        <source>file size:</source>
        <translation>taille du fichier :</translation>
    </message>
    <message>
        <source>schema version:</source>
        <translation>version du schéma :</translation>
    </message>
    <message>
        <source>%1 (latest %2)</source>
        <translation>%1 (la plus récente : %2)</translation>
    </message>
    <message>
        <source>migrations:</source>
        <translation>migrations :</translation>
    </message>
    <message>
        <source>none</source>
        <translation>aucune</translation>
    </message>
    <message>
        <source>applied %1</source>
        <translation>appliquée le %1</translation>
    </message>
    <message>
        <source>workers:</source>
        <translation>workers :</translation>
    </message>
    <message>
        <source>running</source>
        <extracomment>worker states in &quot;hcmctl db info&quot;</extracomment>
        <translation>actifs</translation>
    </message>
    <message>
        <source>lost</source>
        <extracomment>worker state in &quot;hcmctl db info&quot;: registered, no heartbeat for 90 s</extracomment>
        <translation>perdus</translation>
    </message>
    <message>
        <source>stopped</source>
        <extracomment>worker state in &quot;hcmctl db info&quot;: ended and unregistered</extracomment>
        <translation>arrêtés</translation>
    </message>
    <message>
        <source>Shows the database (SQLite file or PostgreSQL server), its size, schema version and migrations, job counts and workers.</source>
        <translation>Affiche la base de données (fichier SQLite ou serveur PostgreSQL), sa taille, la version du schéma et les migrations, le nombre de tâches et les workers.</translation>
    </message>
    <message>
        <source>
Limits (a longer value is refused and nothing is saved):
</source>
        <translation>
Limites (une valeur plus longue est refusée et rien n&apos;est enregistré) :
</translation>
    </message>
    <message>
        <source>%1 bytes (from standard input)</source>
        <translation>%1 octets (depuis l&apos;entrée standard)</translation>
    </message>
    <message>
        <source>%1 entries of %2 characters</source>
        <translation>%1 entrées de %2 caractères</translation>
    </message>
    <message>
        <source>%1 characters</source>
        <translation>%1 caractères</translation>
    </message>
    <message>
        <source>twilio_base_url must be https:// on a host under twilio.com and slack_webhook_url https://hooks.slack.com/…, unless HCM_ALLOW_CUSTOM_PROVIDER_URL=1 is set.
tls_ca_file must be an absolute path to a readable file of PEM certificates (at most %1 KiB).
</source>
        <translation>twilio_base_url doit être en https:// sur un hôte sous twilio.com et slack_webhook_url en https://hooks.slack.com/…, sauf si HCM_ALLOW_CUSTOM_PROVIDER_URL=1 est défini.
tls_ca_file doit être un chemin absolu vers un fichier lisible de certificats PEM (au plus %1 Kio).
</translation>
    </message>
    <message>
        <source>
The payload is at most %1 KiB; a larger file or standard input is refused unread.
</source>
        <translation>
Le payload fait au plus %1 Kio ; un fichier ou une entrée standard plus grand est refusé sans être lu.
</translation>
    </message>
    <message>
        <source>worker %1 reports since %2: %3</source>
        <translation>le worker %1 signale depuis %2 : %3</translation>
    </message>
    <message>
        <source>[TYPE]</source>
        <translation>[TYPE]</translation>
    </message>
    <message>
        <source>The job type to pause (or --all).</source>
        <translation>Le type de tâche à suspendre (ou --all).</translation>
    </message>
    <message>
        <source>Pauses a job type: its queued and new jobs wait, running ones finish.</source>
        <translation>Suspend un type de tâche : ses tâches en attente et nouvelles attendent, celles en cours se terminent.</translation>
    </message>
    <message>
        <source>Pause every job type.</source>
        <translation>Suspendre tous les types de tâche.</translation>
    </message>
    <message>
        <source>The job type to resume (or --all).</source>
        <translation>Le type de tâche à reprendre (ou --all).</translation>
    </message>
    <message>
        <source>Resumes a paused job type: its queued jobs start at once.</source>
        <translation>Reprend un type de tâche suspendu : ses tâches en attente démarrent aussitôt.</translation>
    </message>
    <message>
        <source>Resume every paused job type.</source>
        <translation>Reprendre tous les types de tâche suspendus.</translation>
    </message>
    <message>
        <source>Counts jobs per status and lists the paused job types.</source>
        <translation>Compte les tâches par statut et liste les types de tâche suspendus.</translation>
    </message>
    <message>
        <source>Re-encrypts the stored secrets from an old key file to the key in use, in one transaction.</source>
        <translation>Rechiffre les secrets enregistrés d&apos;un ancien fichier de clé vers la clé utilisée, en une seule transaction.</translation>
    </message>
    <message>
        <source>The key file that encrypted the stored secrets (required). The key in use (HCM_SECRET_KEY, else HCM_SECRET_KEY_FILE, else this user&apos;s key file) becomes the new one.</source>
        <translation>Le fichier de clé qui a chiffré les secrets enregistrés (obligatoire). La clé utilisée (HCM_SECRET_KEY, sinon HCM_SECRET_KEY_FILE, sinon le fichier de clé de cet utilisateur) devient la nouvelle.</translation>
    </message>
    <message>
        <source>The payload on standard input is larger than the limit of %1 KiB (%2 bytes); nothing was enqueued.</source>
        <translation>Le payload sur l&apos;entrée standard dépasse la limite de %1 Kio (%2 octets) ; rien n&apos;a été mis en file.</translation>
    </message>
    <message>
        <source>The payload file %1 is larger than the limit of %2 KiB (%3 bytes); nothing was enqueued.</source>
        <translation>Le fichier de payload %1 dépasse la limite de %2 Kio (%3 octets) ; rien n&apos;a été mis en file.</translation>
    </message>
    <message>
        <source>Give a job type or --all, not both.</source>
        <translation>Indiquez un type de tâche ou --all, pas les deux.</translation>
    </message>
    <message>
        <source>Give the job type to %1, or --all.</source>
        <translation>Indiquez le type de tâche à %1, ou --all.</translation>
    </message>
    <message>
        <source>pause</source>
        <translation>suspendre</translation>
    </message>
    <message>
        <source>resume</source>
        <translation>reprendre</translation>
    </message>
    <message>
        <source>Write --all to %1 every job type.</source>
        <translation>Écrivez --all pour %1 tous les types de tâche.</translation>
    </message>
    <message>
        <source>every job type</source>
        <translation>tous les types de tâche</translation>
    </message>
    <message>
        <source>%1 was paused already (by %2 at %3)</source>
        <translation>%1 était déjà suspendu (par %2 le %3)</translation>
    </message>
    <message>
        <source>%1 was not paused</source>
        <translation>%1 n&apos;était pas suspendu</translation>
    </message>
    <message>
        <source>%1 paused: queued jobs wait, running ones finish; resume with &quot;hcmctl jobs resume %2&quot;</source>
        <translation>%1 suspendu : les tâches en attente attendent, celles en cours se terminent ; reprenez avec « hcmctl jobs resume %2 »</translation>
    </message>
    <message>
        <source>%1 resumed</source>
        <translation>%1 repris</translation>
    </message>
    <message>
        <source>paused: %1 (by %2 at %3)</source>
        <translation>suspendu : %1 (par %2 le %3)</translation>
    </message>
    <message>
        <source>When: a cron expression such as &quot;0 3 * * *&quot; or @daily.</source>
        <translation>Quand : une expression cron comme « 0 3 * * * » ou @daily.</translation>
    </message>
    <message>
        <source>EXPR</source>
        <translation>EXPR</translation>
    </message>
    <message>
        <source>The IANA time zone of the expression (default: this machine&apos;s).</source>
        <translation>Le fuseau horaire IANA de l&apos;expression (par défaut : celui de cette machine).</translation>
    </message>
    <message>
        <source>ZONE</source>
        <translation>FUSEAU</translation>
    </message>
    <message>
        <source>The payload of every job, a JSON object.</source>
        <translation>Le payload de chaque tâche, un objet JSON.</translation>
    </message>
    <message>
        <source>skip (default: no job while the previous one is queued or running) or allow.</source>
        <translation>skip (par défaut : aucune tâche tant que la précédente est en attente ou en cours) ou allow.</translation>
    </message>
    <message>
        <source>POLICY</source>
        <translation>RÈGLE</translation>
    </message>
    <message>
        <source>run_once (default: one job for slots missed while no worker ran) or skip.</source>
        <translation>run_once (par défaut : une tâche pour les créneaux manqués pendant qu&apos;aucun worker ne tournait) ou skip.</translation>
    </message>
    <message>
        <source>A new name.</source>
        <translation>Un nouveau nom.</translation>
    </message>
    <message>
        <source>NAME</source>
        <translation>NOM</translation>
    </message>
    <message>
        <source>Create it switched off.</source>
        <translation>La créer désactivée.</translation>
    </message>
    <message>
        <source>Unknown overlap policy &quot;%1&quot;: use skip or allow.</source>
        <translation>Règle de chevauchement inconnue « %1 » : utilisez skip ou allow.</translation>
    </message>
    <message>
        <source>Unknown missed-run policy &quot;%1&quot;: use run_once or skip.</source>
        <translation>Règle d&apos;exécutions manquées inconnue « %1 » : utilisez run_once ou skip.</translation>
    </message>
    <message>
        <source>id</source>
        <translation>id</translation>
    </message>
    <message>
        <source>name</source>
        <translation>nom</translation>
    </message>
    <message>
        <source>type</source>
        <translation>type</translation>
    </message>
    <message>
        <source>when</source>
        <translation>quand</translation>
    </message>
    <message>
        <source>zone</source>
        <translation>fuseau</translation>
    </message>
    <message>
        <source>enabled</source>
        <translation>activée</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>oui</translation>
    </message>
    <message>
        <source>no</source>
        <translation>non</translation>
    </message>
    <message>
        <source>priority</source>
        <translation>priorité</translation>
    </message>
    <message>
        <source>max retries</source>
        <translation>nouvelles tentatives max.</translation>
    </message>
    <message>
        <source>payload</source>
        <translation>payload</translation>
    </message>
    <message>
        <source>overlap</source>
        <translation>chevauchement</translation>
    </message>
    <message>
        <source>missed runs</source>
        <translation>exécutions manquées</translation>
    </message>
    <message>
        <source>next run</source>
        <translation>prochaine exécution</translation>
    </message>
    <message>
        <source>last run</source>
        <translation>dernière exécution</translation>
    </message>
    <message>
        <source>created</source>
        <translation>créée</translation>
    </message>
    <message>
        <source>updated</source>
        <translation>modifiée</translation>
    </message>
    <message>
        <source>next runs (%1, and local time):</source>
        <translation>prochaines exécutions (%1 et heure locale) :</translation>
    </message>
    <message>
        <source>A schedule needs --type and --cron.</source>
        <translation>Une planification nécessite --type et --cron.</translation>
    </message>
    <message>
        <source>No schedules.</source>
        <translation>Aucune planification.</translation>
    </message>
    <message>
        <source>CRON</source>
        <translation>CRON</translation>
    </message>
    <message>
        <source>WHEN</source>
        <translation>QUAND</translation>
    </message>
    <message>
        <source>ENABLED</source>
        <translation>ACTIVÉE</translation>
    </message>
    <message>
        <source>NEXT RUN</source>
        <translation>PROCHAINE EXÉCUTION</translation>
    </message>
    <message>
        <source>LAST RUN</source>
        <translation>DERNIÈRE EXÉCUTION</translation>
    </message>
    <message>
        <source>ID|NAME</source>
        <translation>ID|NOM</translation>
    </message>
    <message>
        <source>The schedule&apos;s id or name.</source>
        <translation>L&apos;identifiant ou le nom de la planification.</translation>
    </message>
    <message>
        <source>A unique name.</source>
        <translation>Un nom unique.</translation>
    </message>
    <message>
        <source>Creates a recurring schedule and prints its id.</source>
        <translation>Crée une planification récurrente et affiche son identifiant.</translation>
    </message>
    <message>
        <source>Lists the schedules with their next and last run.</source>
        <translation>Liste les planifications avec leur prochaine et dernière exécution.</translation>
    </message>
    <message>
        <source>Shows one schedule and its next five run times.</source>
        <translation>Affiche une planification et ses cinq prochaines heures d&apos;exécution.</translation>
    </message>
    <message>
        <source>Changes the fields given; the next run is computed again.</source>
        <translation>Modifie les champs indiqués ; la prochaine exécution est recalculée.</translation>
    </message>
    <message>
        <source>Switches a schedule on; its next run counts from now.</source>
        <translation>Active une planification ; sa prochaine exécution est calculée à partir de maintenant.</translation>
    </message>
    <message>
        <source>Switches a schedule off at once, in every worker.</source>
        <translation>Désactive une planification immédiatement, dans chaque worker.</translation>
    </message>
    <message>
        <source>Makes one job of the schedule now and prints its id.</source>
        <translation>Crée maintenant une tâche de la planification et affiche son identifiant.</translation>
    </message>
    <message>
        <source>Deletes a schedule (its jobs stay).</source>
        <translation>Supprime une planification (ses tâches sont conservées).</translation>
    </message>
    <message>
        <source>Cannot read standard input: %1</source>
        <translation>Impossible de lire l&apos;entrée standard : %1</translation>
    </message>
    <message>
        <source>The %1 on standard input is longer than the limit of %2 bytes; nothing was saved.</source>
        <translation>La valeur de %1 sur l&apos;entrée standard dépasse la limite de %2 octets ; rien n&apos;a été enregistré.</translation>
    </message>
    <message>
        <source>Give the key file that encrypted the stored secrets: --old-key-file PATH.</source>
        <translation>Indiquez le fichier de clé qui a chiffré les secrets enregistrés : --old-key-file PATH.</translation>
    </message>
    <message>
        <source>No secret is stored: nothing to re-encrypt.</source>
        <translation>Aucun secret n&apos;est enregistré : rien à rechiffrer.</translation>
    </message>
    <message>
        <source>The stored secrets are already encrypted with the %1 (key id %2): nothing to do.</source>
        <translation>Les secrets enregistrés sont déjà chiffrés avec la clé de %1 (identifiant %2) : rien à faire.</translation>
    </message>
    <message numerus="yes">
        <source>%n secret(s) re-encrypted for the %1 (key id %2), version %3.</source>
        <translation>
            <numerusform>%n secret rechiffré pour la clé de %1 (identifiant %2), version %3.</numerusform>
            <numerusform>%n secrets rechiffrés pour la clé de %1 (identifiant %2), version %3.</numerusform>
        </translation>
    </message>
    <message>
        <source>
One job per line: job_type and status (queued, completed, failed or cancelled) are required; id (kept), priority, payload, result, error_message, retry_count, max_retries, attempts, run_at, created_at, started_at, completed_at (required for a finished job), created_by, worker_id, cancel_requested and progress are optional; attempt_history is ignored. Lines up to %1 MiB, payloads up to %2 KiB.
Every line is checked first: with any error (each reported with its line number) nothing is imported.
PostgreSQL: import as the owner role (new ids are moved past the imported ones).
</source>
        <translation>
Une tâche par ligne : job_type et status (queued, completed, failed ou cancelled) sont obligatoires ; id (conservé), priority, payload, result, error_message, retry_count, max_retries, attempts, run_at, created_at, started_at, completed_at (obligatoire pour une tâche terminée), created_by, worker_id, cancel_requested et progress sont facultatifs ; attempt_history est ignoré. Lignes jusqu&apos;à %1 Mio, payloads jusqu&apos;à %2 Kio.
Chaque ligne est d&apos;abord vérifiée : en cas d&apos;erreur (chacune signalée avec son numéro de ligne), rien n&apos;est importé.
PostgreSQL : importez avec le rôle propriétaire (les nouveaux identifiants sont placés après ceux importés).
</translation>
    </message>
    <message>
        <source>FILE</source>
        <translation>FICHIER</translation>
    </message>
    <message>
        <source>JSON lines, one job each as &quot;hcmctl --json jobs show&quot; prints it; - for standard input.</source>
        <translation>Lignes JSON, une tâche chacune, telle que « hcmctl --json jobs show » l&apos;affiche ; - pour l&apos;entrée standard.</translation>
    </message>
    <message>
        <source>Imports jobs (history from another system), keeping their ids; all or nothing.</source>
        <translation>Importe des tâches (historique d&apos;un autre système) en conservant leurs identifiants ; tout ou rien.</translation>
    </message>
    <message>
        <source>Cannot read %1: %2</source>
        <translation>Impossible de lire %1 : %2</translation>
    </message>
    <message>
        <source>Nothing was imported.</source>
        <translation>Rien n&apos;a été importé.</translation>
    </message>
    <message numerus="yes">
        <source>%n more line(s) with errors</source>
        <translation>
            <numerusform>%n autre ligne en erreur</numerusform>
            <numerusform>%n autres lignes en erreur</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Nothing was imported: %n line(s) of %1 have errors.</source>
        <translation>
            <numerusform>Rien n&apos;a été importé : %n ligne sur %1 contient des erreurs.</numerusform>
            <numerusform>Rien n&apos;a été importé : %n lignes sur %1 contiennent des erreurs.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Imported %n job(s)</source>
        <translation>
            <numerusform>%n tâche importée</numerusform>
            <numerusform>%n tâches importées</numerusform>
        </translation>
    </message>
    <message>
        <source>Only the jobs this schedule made (id or name).</source>
        <translation>Seulement les tâches créées par cette planification (identifiant ou nom).</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a schedule; write its id or its name.</source>
        <translation>« %1 » n’est pas une planification ; indiquez son identifiant ou son nom.</translation>
    </message>
    <message>
        <source>There is no schedule named &quot;%1&quot;.</source>
        <translation>Il n’existe aucune planification nommée « %1 ».</translation>
    </message>
    <message>
        <source>One or more job ids, as job_12 or 12 (none with --all).</source>
        <translation>Un ou plusieurs identifiants de tâches, sous la forme job_12 ou 12 (aucun avec --all).</translation>
    </message>
    <message>
        <source>Cancels queued jobs; asks running ones to stop. --all: every queued job the filters select.</source>
        <translation>Annule les tâches en attente ; demande aux tâches en cours de s&apos;arrêter. --all : toutes les tâches en attente sélectionnées par les filtres.</translation>
    </message>
    <message>
        <source>Every job the filters select instead of ids, in batches.</source>
        <translation>Toutes les tâches sélectionnées par les filtres au lieu d&apos;identifiants, par lots.</translation>
    </message>
    <message>
        <source>With --all: only these statuses (comma-separated).</source>
        <translation>Avec --all : uniquement ces statuts (séparés par des virgules).</translation>
    </message>
    <message>
        <source>With --all: only this job type.</source>
        <translation>Avec --all : uniquement ce type de tâche.</translation>
    </message>
    <message>
        <source>With --all: match the id, type or error text.</source>
        <translation>Avec --all : rechercher dans l&apos;identifiant, le type ou le texte d&apos;erreur.</translation>
    </message>
    <message>
        <source>With --all: only the jobs this schedule made (id or name).</source>
        <translation>Avec --all : uniquement les tâches créées par cette planification (identifiant ou nom).</translation>
    </message>
    <message>
        <source>With --all: only count the matching jobs.</source>
        <translation>Avec --all : compter seulement les tâches correspondantes.</translation>
    </message>
    <message>
        <source>Queues failed or cancelled jobs again, now. --all: every failed job the filters select.</source>
        <translation>Remet en file d&apos;attente les tâches échouées ou annulées, immédiatement. --all : toutes les tâches échouées sélectionnées par les filtres.</translation>
    </message>
    <message>
        <source>Deletes finished jobs and their attempts. --all: every finished job the filters select.</source>
        <translation>Supprime les tâches terminées et leurs essais. --all : toutes les tâches terminées sélectionnées par les filtres.</translation>
    </message>
    <message>
        <source>With --all: only jobs finished more than N days ago.</source>
        <translation>Avec --all : uniquement les tâches terminées il y a plus de N jours.</translation>
    </message>
    <message>
        <source>DAYS</source>
        <translation>JOURS</translation>
    </message>
    <message>
        <source>Give job ids or --all with filters, not both.</source>
        <translation>Indiquez des identifiants de tâches ou --all avec des filtres, pas les deux.</translation>
    </message>
    <message>
        <source>%1 jobs match.</source>
        <extracomment>hcmctl jobs cancel|retry|delete --all --dry-run</extracomment>
        <translation>%1 tâches correspondent.</translation>
    </message>
    <message>
        <source>Cancelled %1 of %2 matching jobs.</source>
        <translation>%1 tâches annulées sur %2 correspondantes.</translation>
    </message>
    <message>
        <source>Queued %1 of %2 matching jobs for retry.</source>
        <translation>%1 tâches remises en file pour un nouvel essai sur %2 correspondantes.</translation>
    </message>
    <message>
        <source>Deleted %1 of %2 matching jobs.</source>
        <translation>%1 tâches supprimées sur %2 correspondantes.</translation>
    </message>
    <message>
        <source>%1 had changed meanwhile and were left alone (%2).</source>
        <translation>%1 avaient changé entre-temps et n&apos;ont pas été modifiées (%2).</translation>
    </message>
    <message>
        <source>%1 is missing: ID (or --all with --status, --type, --search, --schedule)</source>
        <extracomment>%1 is the command, &quot;jobs cancel&quot;</extracomment>
        <translation>%1 : ID manquant (ou --all avec --status, --type, --search, --schedule)</translation>
    </message>
    <message>
        <source>--user is required: the user the token acts as.</source>
        <translation>--user est obligatoire : l&apos;utilisateur au nom duquel le jeton agit.</translation>
    </message>
    <message>
        <source>--name is required: what the token is for, e.g. &quot;HR backend&quot;.</source>
        <translation>--name est obligatoire : à quoi sert le jeton, par exemple « HR backend ».</translation>
    </message>
    <message>
        <source>--expires takes a duration such as 90d, 12h, 30m or 2w; &quot;%1&quot; was given.</source>
        <translation>--expires attend une durée comme 90d, 12h, 30m ou 2w ; « %1 » a été indiqué.</translation>
    </message>
    <message>
        <source>Token %1 for %2 created. It is shown only now: store it where the client reads it.</source>
        <translation>Jeton %1 créé pour %2. Il n&apos;est affiché que maintenant : enregistrez-le là où le client le lit.</translation>
    </message>
    <message>
        <source>active</source>
        <translation>actif</translation>
    </message>
    <message>
        <source>revoked</source>
        <translation>révoqué</translation>
    </message>
    <message>
        <source>expired</source>
        <translation>expiré</translation>
    </message>
    <message>
        <source>TOKEN</source>
        <translation>JETON</translation>
    </message>
    <message>
        <source>USER</source>
        <translation>UTILISATEUR</translation>
    </message>
    <message>
        <source>STATE</source>
        <translation>ÉTAT</translation>
    </message>
    <message>
        <source>EXPIRES</source>
        <translation>EXPIRATION</translation>
    </message>
    <message>
        <source>LAST USED</source>
        <translation>DERNIÈRE UTILISATION</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a token id; &quot;hcmctl tokens list&quot; shows them.</source>
        <translation>« %1 » n&apos;est pas un identifiant de jeton ; « hcmctl tokens list » les affiche.</translation>
    </message>
    <message>
        <source>Token %1 revoked.</source>
        <translation>Jeton %1 révoqué.</translation>
    </message>
    <message>
        <source>Creates an API token for a user and prints it (once).</source>
        <translation>Crée un jeton d&apos;API pour un utilisateur et l&apos;affiche (une seule fois).</translation>
    </message>
    <message>
        <source>The user the token acts as (its role applies).</source>
        <translation>L&apos;utilisateur au nom duquel le jeton agit (son rôle s&apos;applique).</translation>
    </message>
    <message>
        <source>What the token is for, e.g. &quot;HR backend&quot;.</source>
        <translation>À quoi sert le jeton, par exemple « HR backend ».</translation>
    </message>
    <message>
        <source>Expires after 90d, 12h, 30m, 2w (default: never).</source>
        <translation>Expire après 90d, 12h, 30m, 2w (par défaut : jamais).</translation>
    </message>
    <message>
        <source>DURATION</source>
        <translation>DURÉE</translation>
    </message>
    <message>
        <source>Requests per minute per endpoint for this token, instead of the server&apos;s limits.</source>
        <translation>Requêtes par minute et par point de terminaison pour ce jeton, au lieu des limites du serveur.</translation>
    </message>
    <message>
        <source>Lists the API tokens (never the tokens themselves).</source>
        <translation>Liste les jetons d&apos;API (jamais les jetons eux-mêmes).</translation>
    </message>
    <message>
        <source>The token&apos;s id (hcmctl tokens list).</source>
        <translation>L&apos;identifiant du jeton (hcmctl tokens list).</translation>
    </message>
    <message>
        <source>Revokes an API token at once, in every API server.</source>
        <translation>Révoque immédiatement un jeton d&apos;API, sur tous les serveurs d&apos;API.</translation>
    </message>
    <message>
        <source>Unknown role &quot;%1&quot;: use viewer, operator or systemadmin.</source>
        <translation>Rôle inconnu « %1 » : utilisez viewer, operator ou systemadmin.</translation>
    </message>
    <message>
        <source>disabled</source>
        <translation>désactivé</translation>
    </message>
    <message>
        <source>DISPLAY NAME</source>
        <translation>NOM AFFICHÉ</translation>
    </message>
    <message>
        <source>ROLE</source>
        <translation>RÔLE</translation>
    </message>
    <message>
        <source>CHANGED</source>
        <translation>MODIFIÉ</translation>
    </message>
    <message>
        <source>BY</source>
        <translation>PAR</translation>
    </message>
    <message>
        <source>Added %1 as %2.</source>
        <translation>%1 ajouté avec le rôle %2.</translation>
    </message>
    <message>
        <source>%1 is now %2.</source>
        <translation>%1 a maintenant le rôle %2.</translation>
    </message>
    <message>
        <source>%1 is disabled.</source>
        <translation>%1 est désactivé.</translation>
    </message>
    <message>
        <source>%1 is enabled.</source>
        <translation>%1 est activé.</translation>
    </message>
    <message>
        <source>AT</source>
        <translation>HEURE</translation>
    </message>
    <message>
        <source>ACTOR</source>
        <translation>ACTEUR</translation>
    </message>
    <message>
        <source>VIA</source>
        <translation>VIA</translation>
    </message>
    <message>
        <source>ACTION</source>
        <translation>ACTION</translation>
    </message>
    <message>
        <source>TARGET</source>
        <translation>CIBLE</translation>
    </message>
    <message>
        <source>CHANGES</source>
        <translation>MODIFICATIONS</translation>
    </message>
    <message>
        <source>The user: the OS user name (SQLite) or the database login (PostgreSQL).</source>
        <translation>L&apos;utilisateur : le nom d&apos;utilisateur du système (SQLite) ou la connexion à la base de données (PostgreSQL).</translation>
    </message>
    <message>
        <source>Lists the users with their role (system administrators only).</source>
        <translation>Liste les utilisateurs avec leur rôle (administrateurs système uniquement).</translation>
    </message>
    <message>
        <source>Adds a user with a role (viewer, operator or systemadmin).</source>
        <translation>Ajoute un utilisateur avec un rôle (viewer, operator ou systemadmin).</translation>
    </message>
    <message>
        <source>viewer, operator or systemadmin (default viewer).</source>
        <translation>viewer, operator ou systemadmin (viewer par défaut).</translation>
    </message>
    <message>
        <source>The name shown in the status bar and the audit trail.</source>
        <translation>Le nom affiché dans la barre d&apos;état et le journal d&apos;audit.</translation>
    </message>
    <message>
        <source>NAME ROLE</source>
        <translation>NOM RÔLE</translation>
    </message>
    <message>
        <source>The user and the new role (viewer, operator or systemadmin).</source>
        <translation>L&apos;utilisateur et le nouveau rôle (viewer, operator ou systemadmin).</translation>
    </message>
    <message>
        <source>Changes a user&apos;s role; the last system administrator keeps theirs.</source>
        <translation>Modifie le rôle d&apos;un utilisateur ; le dernier administrateur système conserve le sien.</translation>
    </message>
    <message>
        <source>Disables a user (kept for the audit trail); never the last system administrator.</source>
        <translation>Désactive un utilisateur (conservé pour le journal d&apos;audit) ; jamais le dernier administrateur système.</translation>
    </message>
    <message>
        <source>Enables a disabled user again.</source>
        <translation>Réactive un utilisateur désactivé.</translation>
    </message>
    <message>
        <source>Lists the audit trail, newest first (system administrators only).</source>
        <translation>Liste le journal d&apos;audit, les entrées les plus récentes d&apos;abord (administrateurs système uniquement).</translation>
    </message>
    <message>
        <source>Only what this user did.</source>
        <translation>Uniquement les actions de cet utilisateur.</translation>
    </message>
    <message>
        <source>Only this action (jobs.cancel) or family (jobs.).</source>
        <translation>Uniquement cette action (jobs.cancel) ou famille (jobs.).</translation>
    </message>
    <message>
        <source>Only rows about this object: job_12, user:bob, settings.</source>
        <translation>Uniquement les lignes concernant cet objet : job_12, user:bob, settings.</translation>
    </message>
    <message>
        <source>From this time on (ISO 8601).</source>
        <translation>À partir de cette heure (ISO 8601).</translation>
    </message>
    <message>
        <source>Before this time (ISO 8601).</source>
        <translation>Avant cette heure (ISO 8601).</translation>
    </message>
    <message>
        <source>Rows whose actor, action, targets or changes contain TEXT.</source>
        <translation>Lignes dont l&apos;acteur, l&apos;action, les cibles ou les modifications contiennent TEXTE.</translation>
    </message>
    <message>
        <source>At most N rows (default 50).</source>
        <translation>Au plus N lignes (50 par défaut).</translation>
    </message>
    <message>
        <source>Print CSV (RFC 4180) instead of a table.</source>
        <translation>Afficher en CSV (RFC 4180) au lieu d&apos;un tableau.</translation>
    </message>
</context>
<context>
    <name>hcm::ui::AuditHistoryDialog</name>
    <message>
        <source>History</source>
        <translation>Historique</translation>
    </message>
    <message>
        <source>Nobody has acted on it yet.</source>
        <translation>Personne n&apos;a encore agi dessus.</translation>
    </message>
</context>
<context>
    <name>hcm::ui::AuditPage</name>
    <message>
        <source>User</source>
        <translation>Utilisateur</translation>
    </message>
    <message>
        <source>Any user</source>
        <translation>Tout utilisateur</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>Action</translation>
    </message>
    <message>
        <source>Any action</source>
        <translation>Toute action</translation>
    </message>
    <message>
        <source>An action (&quot;jobs.cancel&quot;) or a family of actions ending in a dot (&quot;jobs.&quot;)</source>
        <translation>Une action (« jobs.cancel ») ou une famille d&apos;actions terminée par un point (« jobs. »)</translation>
    </message>
    <message>
        <source>Target type</source>
        <translation>Type de cible</translation>
    </message>
    <message>
        <source>Any target</source>
        <extracomment>target type filter of the audit page: no restriction</extracomment>
        <translation>Toute cible</translation>
    </message>
    <message>
        <source>Job</source>
        <translation>Tâche</translation>
    </message>
    <message>
        <source>Job type</source>
        <translation>Type de tâche</translation>
    </message>
    <message>
        <source>Schedule</source>
        <translation>Planification</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>Paramètres</translation>
    </message>
    <message>
        <source>Worker</source>
        <translation>Worker</translation>
    </message>
    <message>
        <source>Audit trail</source>
        <translation>Journal d&apos;audit</translation>
    </message>
    <message>
        <source>Target ID</source>
        <translation>ID de la cible</translation>
    </message>
    <message>
        <source>ID</source>
        <translation>ID</translation>
    </message>
    <message>
        <source>The rows about one object (with a target type): a job&apos;s number, a user&apos;s name</source>
        <translation>Les lignes concernant un objet (avec un type de cible) : le numéro d&apos;une tâche, le nom d&apos;un utilisateur</translation>
    </message>
    <message>
        <source>&amp;From</source>
        <translation>&amp;Du</translation>
    </message>
    <message>
        <source>From</source>
        <translation>Du</translation>
    </message>
    <message>
        <source>&amp;To</source>
        <translation>&amp;Au</translation>
    </message>
    <message>
        <source>To</source>
        <translation>Au</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>Rechercher</translation>
    </message>
    <message>
        <source>Search users, actions, targets and changes</source>
        <translation>Rechercher dans les utilisateurs, actions, cibles et modifications</translation>
    </message>
    <message>
        <source>C&amp;lear Filters</source>
        <translation>E&amp;ffacer les filtres</translation>
    </message>
    <message>
        <source>&amp;Export CSV…</source>
        <translation>&amp;Exporter en CSV…</translation>
    </message>
    <message>
        <source>Writes every row the filters match to a CSV file</source>
        <translation>Écrit toutes les lignes correspondant aux filtres dans un fichier CSV</translation>
    </message>
    <message>
        <source>User:</source>
        <translation>Utilisateur :</translation>
    </message>
    <message>
        <source>Action:</source>
        <translation>Action :</translation>
    </message>
    <message>
        <source>Target:</source>
        <translation>Cible :</translation>
    </message>
    <message>
        <source>Entry details</source>
        <translation>Détails de l&apos;entrée</translation>
    </message>
    <message>
        <source>Select a row to see everything it recorded.</source>
        <translation>Sélectionnez une ligne pour voir tout ce qu&apos;elle a enregistré.</translation>
    </message>
    <message>
        <source>Exporting… %1 rows written</source>
        <translation>Export en cours… %1 lignes écrites</translation>
    </message>
    <message numerus="yes">
        <source>Exported %n rows to %1.</source>
        <translation>
            <numerusform>%n ligne exportée vers %1.</numerusform>
            <numerusform>%n lignes exportées vers %1.</numerusform>
        </translation>
    </message>
    <message>
        <source>The export was cancelled.</source>
        <translation>L&apos;export a été annulé.</translation>
    </message>
    <message>
        <source>The export failed: %1</source>
        <translation>L&apos;export a échoué : %1</translation>
    </message>
    <message>
        <source>The end of the time range must be after its start.</source>
        <translation>La fin de la période doit être postérieure à son début.</translation>
    </message>
    <message>
        <source>#%1 at %2</source>
        <translation>#%1 le %2</translation>
    </message>
    <message>
        <source>User: %1 (%2), via %3</source>
        <translation>Utilisateur : %1 (%2), via %3</translation>
    </message>
    <message>
        <source>from %1</source>
        <translation>depuis %1</translation>
    </message>
    <message>
        <source>Action: %1 — %2</source>
        <translation>Action : %1 — %2</translation>
    </message>
    <message>
        <source>Target: %1 %2</source>
        <translation>Cible : %1 %2</translation>
    </message>
    <message>
        <source>Changes:</source>
        <translation>Modifications :</translation>
    </message>
    <message>
        <source>Export Audit Trail</source>
        <translation>Exporter le journal d&apos;audit</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>Fichiers CSV (*.csv)</translation>
    </message>
    <message>
        <source>audit-%1.csv</source>
        <extracomment>default file name of an audit export; %1 is the date</extracomment>
        <translation>audit-%1.csv</translation>
    </message>
    <message>
        <source>An export is running already.</source>
        <translation>Un export est déjà en cours.</translation>
    </message>
    <message>
        <source>Exporting…</source>
        <translation>Export en cours…</translation>
    </message>
</context>
<context>
    <name>hcm::ui::ChannelTestWidget</name>
    <message>
        <source>Send test email</source>
        <translation>Envoyer un e-mail de test</translation>
    </message>
    <message>
        <source>Send test SMS</source>
        <translation>Envoyer un SMS de test</translation>
    </message>
    <message>
        <source>Send test Slack message</source>
        <translation>Envoyer un message Slack de test</translation>
    </message>
    <message>
        <source>%1 ms</source>
        <extracomment>latency of a delivery in milliseconds</extracomment>
        <translation>%1 ms</translation>
    </message>
    <message>
        <source>Send the test message to this address instead of the first admin recipient</source>
        <translation>Envoyer le message de test à cette adresse au lieu du premier destinataire administrateur</translation>
    </message>
    <message>
        <source>Send the test message to this number instead of the first SMS recipient</source>
        <translation>Envoyer le message de test à ce numéro au lieu du premier destinataire SMS</translation>
    </message>
    <message>
        <source>Recipient address</source>
        <translation>Adresse du destinataire</translation>
    </message>
    <message>
        <source>Recipient number (+14155550123)</source>
        <translation>Numéro du destinataire (+14155550123)</translation>
    </message>
    <message>
        <source>%1 (default)</source>
        <extracomment>placeholder of the test recipient field; %1 is the first configured recipient</extracomment>
        <translation>%1 (par défaut)</translation>
    </message>
    <message>
        <source>Sending…</source>
        <translation>Envoi…</translation>
    </message>
    <message>
        <source>Sending a test message…</source>
        <extracomment>shown while a test message is on its way</extracomment>
        <translation>Envoi d&apos;un message de test…</translation>
    </message>
    <message>
        <source>Delivered to %1 in %2.</source>
        <extracomment>%1 recipient, %2 latency (&quot;38 ms&quot;)</extracomment>
        <translation>Remis à %1 en %2.</translation>
    </message>
    <message>
        <source>Failed for %1 after %2: %3</source>
        <extracomment>%1 recipient, %2 latency, %3 the reason</extracomment>
        <translation>Échec pour %1 après %2 : %3</translation>
    </message>
    <message>
        <source>Response: %1</source>
        <extracomment>the provider&apos;s answer to a test message (&quot;250 2.0.0 Ok: queued&quot;)</extracomment>
        <translation>Réponse : %1</translation>
    </message>
    <message>
        <source>Test email recipient</source>
        <translation>Destinataire de l&apos;e-mail de test</translation>
    </message>
    <message>
        <source>Test SMS recipient</source>
        <translation>Destinataire du SMS de test</translation>
    </message>
</context>
<context>
    <name>hcm::ui::DeliveryLogView</name>
    <message>
        <source>Email</source>
        <translation>E-mail</translation>
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
        <translation>Tâche échouée</translation>
    </message>
    <message>
        <source>Job succeeded</source>
        <translation>Tâche réussie</translation>
    </message>
    <message>
        <source>Job retried</source>
        <translation>Tâche relancée</translation>
    </message>
    <message>
        <source>Worker lost</source>
        <translation>Worker perdu</translation>
    </message>
    <message>
        <source>Test message</source>
        <translation>Message de test</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>Heure</translation>
    </message>
    <message>
        <source>Channel</source>
        <translation>Canal</translation>
    </message>
    <message>
        <source>Recipient</source>
        <translation>Destinataire</translation>
    </message>
    <message>
        <source>Event</source>
        <translation>Événement</translation>
    </message>
    <message>
        <source>Outcome</source>
        <translation>Résultat</translation>
    </message>
    <message>
        <source>Latency</source>
        <translation>Latence</translation>
    </message>
    <message>
        <source>Provider response</source>
        <translation>Réponse du fournisseur</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Chargement…</translation>
    </message>
    <message>
        <source>The notifications could not be loaded: %1</source>
        <extracomment>%1 is the database&apos;s error message</extracomment>
        <translation>Les notifications n&apos;ont pas pu être chargées : %1</translation>
    </message>
    <message>
        <source>No notifications were sent about this job.</source>
        <translation>Aucune notification n&apos;a été envoyée au sujet de cette tâche.</translation>
    </message>
    <message>
        <source>Delivered</source>
        <translation>Remis</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>Échouée</translation>
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
        <translation>Récapitulatif d&apos;alertes</translation>
    </message>
    <message>
        <source>Notifications sent</source>
        <translation>Notifications envoyées</translation>
    </message>
</context>
<context>
    <name>hcm::ui::JobDetailsDialog</name>
    <message>
        <source>Job %1</source>
        <extracomment>window title; %1 is the job id, &quot;job_12&quot;</extracomment>
        <translation>Tâche %1</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Chargement…</translation>
    </message>
    <message>
        <source>&amp;History…</source>
        <translation>&amp;Historique…</translation>
    </message>
    <message>
        <source>Who did what to this job, from the audit trail</source>
        <translation>Qui a fait quoi sur cette tâche, d&apos;après le journal d&apos;audit</translation>
    </message>
    <message>
        <source>History of %1</source>
        <extracomment>window title; %1 is the job id, &quot;job_12&quot;</extracomment>
        <translation>Historique de %1</translation>
    </message>
</context>
<context>
    <name>hcm::ui::JobDetailsView</name>
    <message>
        <source>Completed</source>
        <translation>Terminée</translation>
    </message>
    <message>
        <source>Timed out</source>
        <translation>Délai dépassé</translation>
    </message>
    <message>
        <source>Lost</source>
        <extracomment>the worker running the attempt stopped responding</extracomment>
        <translation>Perdu</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>Annulée</translation>
    </message>
    <message>
        <source>Interrupted</source>
        <extracomment>stopped by a worker shutdown, requeued without spending a retry</extracomment>
        <translation>Interrompu</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>Échouée</translation>
    </message>
    <message>
        <source>Priority:</source>
        <translation>Priorité :</translation>
    </message>
    <message>
        <source>Attempts:</source>
        <translation>Essais :</translation>
    </message>
    <message>
        <source>Retries used:</source>
        <translation>Nouveaux essais utilisés :</translation>
    </message>
    <message>
        <source>Duration:</source>
        <translation>Durée :</translation>
    </message>
    <message>
        <source>Created:</source>
        <translation>Créée :</translation>
    </message>
    <message>
        <source>Run at:</source>
        <translation>Exécution à :</translation>
    </message>
    <message>
        <source>Started:</source>
        <translation>Démarrée :</translation>
    </message>
    <message>
        <source>Worker:</source>
        <translation>Worker :</translation>
    </message>
    <message>
        <source>Created by:</source>
        <translation>Créée par :</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>Erreur</translation>
    </message>
    <message>
        <source>Retries</source>
        <translation>Nouvelles tentatives</translation>
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
        <translation>Démarrée</translation>
    </message>
    <message>
        <source>Finished</source>
        <translation>Fin</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>Durée</translation>
    </message>
    <message>
        <source>Outcome</source>
        <translation>Résultat</translation>
    </message>
    <message>
        <source>Attempts</source>
        <translation>Essais</translation>
    </message>
    <message>
        <source>Notifications</source>
        <translation>Notifications</translation>
    </message>
    <message>
        <source>Payload</source>
        <translation>Payload</translation>
    </message>
    <message>
        <source>Result</source>
        <translation>Résultat</translation>
    </message>
    <message>
        <source>No job selected.</source>
        <translation>Aucune tâche sélectionnée.</translation>
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
        <translation>%1 (en cours)</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <extracomment>A job&apos;s schedule: %1 its name, %2 its id (&quot;#7&quot;)</extracomment>
        <translation>%1 (%2)</translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation>%1 sur %2</translation>
    </message>
    <message>
        <source>No result.</source>
        <translation>Aucun résultat.</translation>
    </message>
    <message>
        <source>No result yet.</source>
        <translation>Pas encore de résultat.</translation>
    </message>
    <message>
        <source>Running</source>
        <translation>En cours</translation>
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
        <translation>#%1 %2 à %3</translation>
    </message>
    <message>
        <source>#%1 running</source>
        <translation>#%1 en cours</translation>
    </message>
    <message>
        <source>since %1</source>
        <translation>depuis %1</translation>
    </message>
    <message>
        <source>#%1 running since %2</source>
        <translation>#%1 en cours depuis %2</translation>
    </message>
    <message>
        <source>Attempt %1 is running; it is the last one.</source>
        <translation>L&apos;essai %1 est en cours ; c&apos;est le dernier.</translation>
    </message>
    <message>
        <source>Attempt %1 is running. If it fails, the next attempt is %2.</source>
        <translation>L&apos;essai %1 est en cours. S&apos;il échoue, le prochain essai aura lieu %2.</translation>
    </message>
    <message>
        <source>now</source>
        <translation>maintenant</translation>
    </message>
    <message>
        <source>Retrying: the next attempt is %1 (at %2); retries left after it: %3.</source>
        <translation>Nouvel essai : le prochain essai a lieu %1 (à %2) ; nouveaux essais restants ensuite : %3.</translation>
    </message>
    <message>
        <source>Waiting for a worker: the first attempt is %1.</source>
        <translation>En attente d&apos;un worker : le premier essai a lieu %1.</translation>
    </message>
    <message>
        <source>end</source>
        <extracomment>the end mark of the retry timeline of a failed job</extracomment>
        <translation>fin</translation>
    </message>
    <message>
        <source>Failed without retrying (the error is not retryable).</source>
        <translation>Échec sans nouvel essai (l&apos;erreur ne permet pas de réessayer).</translation>
    </message>
    <message>
        <source>Cancelled: no further attempts.</source>
        <translation>Annulée : plus aucun essai.</translation>
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
        <translation>prochain essai %1</translation>
    </message>
    <message>
        <source>then %1</source>
        <translation>puis %1</translation>
    </message>
    <message>
        <source>Not started</source>
        <extracomment>claimed by a worker that died before the job started; requeued without spending a retry</extracomment>
        <translation>Non démarré</translation>
    </message>
    <message>
        <source>No retries left; attempts: %1.</source>
        <extracomment>%1 is the attempts: &quot;4 of 4&quot;, &quot;6 in all&quot;</extracomment>
        <translation>Plus de nouvel essai ; essais : %1.</translation>
    </message>
    <message>
        <source>Completed on attempt %1.</source>
        <translation>Terminée à l&apos;essai %1.</translation>
    </message>
    <message>
        <source>Schedule:</source>
        <translation>Planification :</translation>
    </message>
</context>
<context>
    <name>hcm::ui::JobsPage</name>
    <message>
        <source>Action failed</source>
        <translation>Échec de l&apos;action</translation>
    </message>
    <message>
        <source>All types</source>
        <translation>Tous les types</translation>
    </message>
    <message>
        <source>&amp;Status</source>
        <translation>&amp;Statut</translation>
    </message>
    <message>
        <source>&amp;Type</source>
        <translation>&amp;Type</translation>
    </message>
    <message>
        <source>Last hour</source>
        <translation>Dernière heure</translation>
    </message>
    <message>
        <source>Search by ID, type or error text</source>
        <translation>Rechercher par identifiant, type ou texte d&apos;erreur</translation>
    </message>
    <message>
        <source>New Job…</source>
        <translation>Nouvelle tâche…</translation>
    </message>
    <message>
        <source>Refresh now (F5)</source>
        <translation>Actualiser maintenant (F5)</translation>
    </message>
    <message>
        <source>Cancel Jobs</source>
        <translation>Annuler des tâches</translation>
    </message>
    <message>
        <source>Not possible: %1.</source>
        <translation>Impossible : %1.</translation>
    </message>
    <message>
        <source>Not possible for any selected job: %1.</source>
        <translation>Impossible pour toutes les tâches sélectionnées : %1.</translation>
    </message>
    <message>
        <source>&amp;Cancel</source>
        <extracomment>keyboard shortcut of &quot;Cancel&quot; in the Job menu; K as in &quot;kill&quot;</extracomment>
        <translation>&amp;Annuler</translation>
    </message>
    <message numerus="yes">
        <source>&amp;Cancel %n Jobs</source>
        <translation>
            <numerusform>&amp;Annuler %n tâche</numerusform>
            <numerusform>&amp;Annuler %n tâches</numerusform>
        </translation>
    </message>
    <message>
        <source>&amp;Retry Now</source>
        <translation>&amp;Relancer maintenant</translation>
    </message>
    <message numerus="yes">
        <source>&amp;Retry %n Jobs Now</source>
        <translation>
            <numerusform>&amp;Relancer %n tâche maintenant</numerusform>
            <numerusform>&amp;Relancer %n tâches maintenant</numerusform>
        </translation>
    </message>
    <message>
        <source>D&amp;uplicate as New Job…</source>
        <translation>D&amp;upliquer en nouvelle tâche…</translation>
    </message>
    <message numerus="yes">
        <source>D&amp;uplicate %n Jobs</source>
        <translation>
            <numerusform>D&amp;upliquer %n tâche</numerusform>
            <numerusform>D&amp;upliquer %n tâches</numerusform>
        </translation>
    </message>
    <message>
        <source>Show &amp;Details</source>
        <translation>Afficher les &amp;détails</translation>
    </message>
    <message>
        <source>Select a single job to see its details.</source>
        <translation>Sélectionnez une seule tâche pour voir ses détails.</translation>
    </message>
    <message>
        <source>Copy &amp;ID</source>
        <translation>Copier l&apos;&amp;identifiant</translation>
    </message>
    <message numerus="yes">
        <source>Copy %n &amp;IDs</source>
        <translation>
            <numerusform>Copier %n &amp;identifiant</numerusform>
            <numerusform>Copier %n &amp;identifiants</numerusform>
        </translation>
    </message>
    <message>
        <source>ID</source>
        <translation>ID</translation>
    </message>
    <message>
        <source>Copy &amp;Payload</source>
        <translation>Copier le &amp;payload</translation>
    </message>
    <message>
        <source>Select a single job to copy its payload.</source>
        <translation>Sélectionnez une seule tâche pour copier son payload.</translation>
    </message>
    <message>
        <source>payload</source>
        <translation>payload</translation>
    </message>
    <message>
        <source>De&amp;lete</source>
        <translation>Supp&amp;rimer</translation>
    </message>
    <message numerus="yes">
        <source>De&amp;lete %n Jobs</source>
        <translation>
            <numerusform>Supp&amp;rimer %n tâche</numerusform>
            <numerusform>Supp&amp;rimer %n tâches</numerusform>
        </translation>
    </message>
    <message>
        <source>Confirm</source>
        <translation>Confirmer</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Annuler</translation>
    </message>
    <message numerus="yes">
        <source>Cancel %n jobs? Queued jobs stop at once; running jobs are asked to stop.</source>
        <translation>
            <numerusform>Annuler %n tâche ? Les tâches en attente s&apos;arrêtent immédiatement ; il est demandé aux tâches en cours de s&apos;arrêter.</numerusform>
            <numerusform>Annuler %n tâches ? Les tâches en attente s&apos;arrêtent immédiatement ; il est demandé aux tâches en cours de s&apos;arrêter.</numerusform>
        </translation>
    </message>
    <message>
        <source>Retry</source>
        <translation>Relancer</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Supprimer</translation>
    </message>
    <message>
        <source>Created %1.</source>
        <translation>%1 créée.</translation>
    </message>
    <message>
        <source>Duplicate</source>
        <translation>Dupliquer</translation>
    </message>
    <message numerus="yes">
        <source>Created %n job(s).</source>
        <translation>
            <numerusform>%n tâche créée.</numerusform>
            <numerusform>%n tâches créées.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1: done for %n job(s).</source>
        <translation>
            <numerusform>%1 : effectué pour %n tâche.</numerusform>
            <numerusform>%1 : effectué pour %n tâches.</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 not possible</source>
        <translation>%1 impossible</translation>
    </message>
    <message numerus="yes">
        <source>%n job(s) could not be changed:</source>
        <translation>
            <numerusform>%n tâche n&apos;a pas pu être modifiée :</numerusform>
            <numerusform>%n tâches n&apos;ont pas pu être modifiées :</numerusform>
        </translation>
    </message>
    <message>
        <source>Copied the %1 to the clipboard.</source>
        <translation>%1 copié dans le presse-papiers.</translation>
    </message>
    <message>
        <source>Every job type</source>
        <translation>Tous les types de tâche</translation>
    </message>
    <message>
        <source>%1 was paused already.</source>
        <translation>%1 était déjà suspendu.</translation>
    </message>
    <message>
        <source>%1 was not paused.</source>
        <translation>%1 n&apos;était pas suspendu.</translation>
    </message>
    <message>
        <source>%1 paused: queued jobs wait, running ones finish.</source>
        <translation>%1 suspendu : les tâches en attente attendent, celles en cours se terminent.</translation>
    </message>
    <message>
        <source>%1 resumed.</source>
        <translation>%1 repris.</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>Suspendre</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>Reprendre</translation>
    </message>
    <message>
        <source>Pause every job type? Queued and new jobs wait until you resume; running jobs finish.</source>
        <translation>Suspendre tous les types de tâche ? Les tâches en attente et nouvelles attendent jusqu&apos;à la reprise ; les tâches en cours se terminent.</translation>
    </message>
    <message>
        <source>Pause All Types</source>
        <translation>Suspendre tous les types</translation>
    </message>
    <message>
        <source>%1 (paused)</source>
        <extracomment>a job type in the type filter whose jobs are paused</extracomment>
        <translation>%1 (suspendu)</translation>
    </message>
    <message>
        <source>All types (paused)</source>
        <translation>Tous les types (suspendus)</translation>
    </message>
    <message>
        <source>Resume All</source>
        <translation>Tout reprendre</translation>
    </message>
    <message>
        <source>Pause All</source>
        <translation>Tout suspendre</translation>
    </message>
    <message>
        <source>Pause every job type: queued jobs wait, running ones finish</source>
        <translation>Suspendre tous les types de tâche : les tâches en attente attendent, celles en cours se terminent</translation>
    </message>
    <message>
        <source>Pause %1: its queued jobs wait, running ones finish</source>
        <translation>Suspendre %1 : ses tâches en attente attendent, celles en cours se terminent</translation>
    </message>
    <message>
        <source>Resume Type “%1”</source>
        <translation>Reprendre le type « %1 »</translation>
    </message>
    <message>
        <source>Pause Type “%1”</source>
        <translation>Suspendre le type « %1 »</translation>
    </message>
    <message>
        <source>Queued %1 jobs wait until resumed; running ones finish.</source>
        <translation>Les tâches %1 en attente attendent la reprise ; celles en cours se terminent.</translation>
    </message>
    <message>
        <source>Status filter</source>
        <translation>Filtre de statut</translation>
    </message>
    <message>
        <source>Search jobs</source>
        <translation>Rechercher des tâches</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>Actualiser</translation>
    </message>
    <message>
        <source>Jobs</source>
        <translation>Tâches</translation>
    </message>
    <message>
        <source>Show the jobs of every schedule (Esc)</source>
        <translation>Afficher les tâches de toutes les planifications (Échap)</translation>
    </message>
    <message>
        <source>Clear schedule filter</source>
        <translation>Retirer le filtre de planification</translation>
    </message>
    <message>
        <source>Schedule: %1</source>
        <extracomment>The jobs page shows only the jobs of this schedule; %1 is its name or &quot;#7&quot;.</extracomment>
        <translation>Planification : %1</translation>
    </message>
    <message>
        <source>No matching jobs</source>
        <translation>Aucune tâche correspondante</translation>
    </message>
    <message>
        <source>Selected the 1 job that matches the filter.</source>
        <translation>La tâche correspondant au filtre est sélectionnée.</translation>
    </message>
    <message>
        <source>Selected all %1 jobs that match the filter; Cancel, Retry and Delete act on every one of them.</source>
        <translation>Les %1 tâches correspondant au filtre sont sélectionnées ; Annuler, Relancer et Supprimer agissent sur chacune d&apos;elles.</translation>
    </message>
    <message>
        <source>Retry All Failed (%1)…</source>
        <extracomment>a bulk action of the Job menu; %1 the number of jobs it acts on</extracomment>
        <translation>Relancer les échecs (%1)…</translation>
    </message>
    <message>
        <source>Retry All Failed %1 (%2)…</source>
        <translation>Relancer les échecs %1 (%2)…</translation>
    </message>
    <message>
        <source>Cancel All Queued (%1)…</source>
        <translation>Annuler les tâches en attente (%1)…</translation>
    </message>
    <message>
        <source>Cancel All Queued %1 (%2)…</source>
        <translation>Annuler les tâches %1 en attente (%2)…</translation>
    </message>
    <message>
        <source>every job that matches the filter, not only the loaded rows</source>
        <translation>toutes les tâches correspondant au filtre, pas seulement les lignes chargées</translation>
    </message>
    <message>
        <source>No job that matches the filter can take this action.</source>
        <translation>Aucune tâche correspondant au filtre ne permet cette action.</translation>
    </message>
    <message>
        <source>Delete the 1 finished%1 job that matches the filter and its attempt history? This cannot be undone.</source>
        <translation>Supprimer la tâche%1 terminée qui correspond au filtre et son historique d&apos;essais ? Cette action est irréversible.</translation>
    </message>
    <message>
        <source>Delete all %1 finished%2 jobs that match the filter and their attempt history? This cannot be undone.</source>
        <translation>Supprimer les %1 tâches%2 terminées qui correspondent au filtre et leur historique d&apos;essais ? Cette action est irréversible.</translation>
    </message>
    <message>
        <source>Delete Job</source>
        <translation>Supprimer la tâche</translation>
    </message>
    <message>
        <source>Delete Jobs</source>
        <translation>Supprimer les tâches</translation>
    </message>
    <message>
        <source>Keep Job</source>
        <translation>Garder la tâche</translation>
    </message>
    <message>
        <source>Keep Jobs</source>
        <translation>Garder les tâches</translation>
    </message>
    <message>
        <source>Retry the 1 failed%1 job that matches the filter now?</source>
        <translation>Relancer maintenant la tâche%1 échouée qui correspond au filtre ?</translation>
    </message>
    <message>
        <source>Retry all %1 failed%2 jobs that match the filter now?</source>
        <translation>Relancer maintenant les %1 tâches%2 échouées qui correspondent au filtre ?</translation>
    </message>
    <message>
        <source>Retry Job</source>
        <translation>Relancer la tâche</translation>
    </message>
    <message>
        <source>Retry Jobs</source>
        <translation>Relancer les tâches</translation>
    </message>
    <message>
        <source>Cancel the 1 queued%1 job that matches the filter?</source>
        <translation>Annuler la tâche%1 en attente qui correspond au filtre ?</translation>
    </message>
    <message>
        <source>Cancel all %1 queued%2 jobs that match the filter?</source>
        <translation>Annuler les %1 tâches%2 en attente qui correspondent au filtre ?</translation>
    </message>
    <message>
        <source>Cancel Job</source>
        <translation>Annuler la tâche</translation>
    </message>
    <message>
        <source>Delete Finished Jobs</source>
        <translation>Supprimer les tâches terminées</translation>
    </message>
    <message>
        <source> days</source>
        <extracomment>&quot;Delete finished jobs older than [30] days&quot;</extracomment>
        <translation> jours</translation>
    </message>
    <message>
        <source>Older than</source>
        <translation>Plus anciennes que</translation>
    </message>
    <message>
        <source>Counting…</source>
        <translation>Comptage…</translation>
    </message>
    <message>
        <source>Finished more than</source>
        <translation>Terminées depuis plus de</translation>
    </message>
    <message>
        <source>1 finished job that matches the filter finished before %1. Deleting it removes its attempt history; this cannot be undone.</source>
        <translation>1 tâche terminée correspondant au filtre s&apos;est terminée avant le %1. La supprimer efface son historique d&apos;essais ; cette action est irréversible.</translation>
    </message>
    <message>
        <source>%1 finished jobs that match the filter finished before %2. Deleting them removes their attempt history; this cannot be undone.</source>
        <translation>%1 tâches terminées correspondant au filtre se sont terminées avant le %2. Les supprimer efface leur historique d&apos;essais ; cette action est irréversible.</translation>
    </message>
    <message>
        <source>Retrying Jobs</source>
        <translation>Relance des tâches</translation>
    </message>
    <message>
        <source>Cancelling Jobs</source>
        <translation>Annulation des tâches</translation>
    </message>
    <message>
        <source>Deleting Jobs</source>
        <translation>Suppression des tâches</translation>
    </message>
    <message>
        <source>Counting the jobs…</source>
        <translation>Comptage des tâches…</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Arrêter</translation>
    </message>
    <message>
        <source>%1 of %2 jobs…</source>
        <translation>%1 tâches sur %2…</translation>
    </message>
    <message>
        <source>Retried 1 job.</source>
        <translation>1 tâche relancée.</translation>
    </message>
    <message>
        <source>Retried %1 jobs.</source>
        <translation>%1 tâches relancées.</translation>
    </message>
    <message>
        <source>Cancelled 1 job.</source>
        <translation>1 tâche annulée.</translation>
    </message>
    <message>
        <source>Cancelled %1 jobs.</source>
        <translation>%1 tâches annulées.</translation>
    </message>
    <message>
        <source>Deleted 1 job.</source>
        <translation>1 tâche supprimée.</translation>
    </message>
    <message>
        <source>Deleted %1 jobs.</source>
        <translation>%1 tâches supprimées.</translation>
    </message>
    <message>
        <source>%1 had changed meanwhile and were left alone (%2).</source>
        <extracomment>%1 how many, %2 why the first of them could not be changed</extracomment>
        <translation>%1 avaient changé entre-temps et n&apos;ont pas été modifiées (%2).</translation>
    </message>
    <message>
        <source>Stopped before the end.</source>
        <translation>Arrêté avant la fin.</translation>
    </message>
    <message>
        <source>Select one or more jobs first.</source>
        <translation>Sélectionnez d&apos;abord une ou plusieurs tâches.</translation>
    </message>
    <message>
        <source>&amp;New Job…</source>
        <translation>&amp;Nouvelle tâche…</translation>
    </message>
    <message>
        <source>Select &amp;All</source>
        <translation>Tout sé&amp;lectionner</translation>
    </message>
    <message>
        <source>Retry All Failed…</source>
        <translation>Relancer les échecs…</translation>
    </message>
    <message>
        <source>Cancel All Queued…</source>
        <translation>Annuler les tâches en attente…</translation>
    </message>
    <message>
        <source>Delete Finished Older Than…</source>
        <translation>Purger les tâches terminées…</translation>
    </message>
    <message>
        <source>Cancel %1? A queued job stops at once; a running job is asked to stop.</source>
        <translation>Annuler %1 ? Une tâche en attente s&apos;arrête immédiatement ; il est demandé à une tâche en cours de s&apos;arrêter.</translation>
    </message>
    <message>
        <source>Delete %1 and its attempt history? This cannot be undone.</source>
        <translation>Supprimer %1 et son historique d&apos;essais ? Cette action est irréversible.</translation>
    </message>
    <message numerus="yes">
        <source>Delete %n finished jobs and their attempt history? This cannot be undone.</source>
        <translation>
            <numerusform>Supprimer %n tâche terminée et son historique d&apos;essais ? Cette action est irréversible.</numerusform>
            <numerusform>Supprimer %n tâches terminées et leur historique d&apos;essais ? Cette action est irréversible.</numerusform>
        </translation>
    </message>
    <message>
        <source>Keep Running</source>
        <translation>Laisser continuer</translation>
    </message>
    <message>
        <source>Created %1. The current filters hide it.</source>
        <extracomment>%1 is a job id such as job_12</extracomment>
        <translation>%1 créée. Les filtres actuels la masquent.</translation>
    </message>
    <message>
        <source>status “%1”</source>
        <extracomment>an active filter in &quot;No jobs match …&quot;</extracomment>
        <translation>statut « %1 »</translation>
    </message>
    <message>
        <source>type “%1”</source>
        <translation>type « %1 »</translation>
    </message>
    <message>
        <source>search “%1”</source>
        <translation>recherche « %1 »</translation>
    </message>
    <message>
        <source>No jobs yet. &lt;a href=&quot;new&quot;&gt;Create one&lt;/a&gt; (Ctrl+N).</source>
        <translation>Aucune tâche pour l&apos;instant. &lt;a href=&quot;new&quot;&gt;En créer une&lt;/a&gt; (Ctrl+N).</translation>
    </message>
    <message>
        <source>No jobs match %1. &lt;a href=&quot;clear&quot;&gt;Clear all filters&lt;/a&gt; (Esc clears the search).</source>
        <extracomment>%1 lists the active filters, e.g. status “Failed”, type “email_send”</extracomment>
        <translation>Aucune tâche ne correspond aux filtres %1. &lt;a href=&quot;clear&quot;&gt;Effacer tous les filtres&lt;/a&gt; (Échap efface la recherche).</translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <extracomment>as in the Attempts column: attempts started &quot;of&quot; the most possible</extracomment>
        <translation>%1 sur %2</translation>
    </message>
    <message>
        <source>Selected all of the more than %1 jobs that match the filter; Cancel, Retry and Delete act on every one of them.</source>
        <translation>Les plus de %1 tâches qui correspondent au filtre sont toutes sélectionnées ; Annuler, Relancer et Supprimer agissent sur chacune d’elles.</translation>
    </message>
    <message>
        <source>Showing the first %1 of more than %2 jobs. To reach the others, narrow the filter, search, or reverse the order (click a column header).</source>
        <translation>Affichage des %1 premières tâches sur plus de %2. Pour atteindre les autres, affinez le filtre, recherchez ou inversez l’ordre (cliquez sur un en-tête de colonne).</translation>
    </message>
    <message>
        <source>Showing the first %1 of %2 jobs. To reach the others, narrow the filter, search, or reverse the order (click a column header).</source>
        <translation>Affichage des %1 premières tâches sur %2. Pour atteindre les autres, affinez le filtre, recherchez ou inversez l’ordre (cliquez sur un en-tête de colonne).</translation>
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
        <translation>Tâches</translation>
    </message>
    <message>
        <source>Workers</source>
        <translation>Workers</translation>
    </message>
    <message>
        <source>Notifications</source>
        <translation>Notifications</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Fichier</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Quitter</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;Affichage</translation>
    </message>
    <message>
        <source>&amp;Jobs</source>
        <translation>&amp;Tâches</translation>
    </message>
    <message>
        <source>&amp;Workers</source>
        <translation>&amp;Workers</translation>
    </message>
    <message>
        <source>&amp;Notifications</source>
        <translation>&amp;Notifications</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>A&amp;ctualiser</translation>
    </message>
    <message>
        <source>&amp;Worker</source>
        <translation>&amp;Worker</translation>
    </message>
    <message>
        <source>&amp;Run Jobs in This Window</source>
        <translation>&amp;Exécuter les tâches dans cette fenêtre</translation>
    </message>
    <message>
        <source>Runs queued jobs inside HCM Admin. Turn it off when dedicated hcm-worker processes serve this database.</source>
        <translation>Exécute les tâches en attente dans HCM Admin. Désactivez cette option lorsque des processus hcm-worker dédiés servent cette base de données.</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>&amp;Aide</translation>
    </message>
    <message>
        <source>&amp;About HCM Admin</source>
        <translation>À &amp;propos de HCM Admin</translation>
    </message>
    <message>
        <source>About HCM Admin</source>
        <translation>À propos de HCM Admin</translation>
    </message>
    <message>
        <source>&lt;b&gt;HCM Admin %1&lt;/b&gt;&lt;p&gt;Background jobs and notification settings of the HCM system.&lt;/p&gt;&lt;p&gt;Database: %2&lt;/p&gt;</source>
        <translation>&lt;b&gt;HCM Admin %1&lt;/b&gt;&lt;p&gt;Tâches d&apos;arrière-plan et paramètres de notification du système HCM.&lt;/p&gt;&lt;p&gt;Base de données : %2&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>Connexion…</translation>
    </message>
    <message>
        <source>Connected</source>
        <translation>Connecté</translation>
    </message>
    <message>
        <source>Database error</source>
        <translation>Erreur de base de données</translation>
    </message>
    <message>
        <source>The worker could not start: %1</source>
        <translation>Le worker n&apos;a pas pu démarrer : %1</translation>
    </message>
    <message>
        <source>Worker off</source>
        <translation>Worker désactivé</translation>
    </message>
    <message>
        <source>Jobs run only in hcm-worker processes.</source>
        <translation>Les tâches ne s&apos;exécutent que dans les processus hcm-worker.</translation>
    </message>
    <message>
        <source>Worker running %1/%2</source>
        <translation>Worker actif %1/%2</translation>
    </message>
    <message>
        <source>In-process worker %1: %2 of %3 threads busy</source>
        <translation>Worker intégré %1 : %2 threads occupés sur %3</translation>
    </message>
    <message>
        <source>Unsaved Changes</source>
        <translation>Modifications non enregistrées</translation>
    </message>
    <message>
        <source>The notification settings have unsaved changes.</source>
        <translation>Les paramètres de notification comportent des modifications non enregistrées.</translation>
    </message>
    <message>
        <source>Do you want to save them?</source>
        <translation>Voulez-vous les enregistrer ?</translation>
    </message>
    <message>
        <source>Worker starting…</source>
        <translation>Worker en démarrage…</translation>
    </message>
    <message>
        <source>In-process worker %1: registering with the database</source>
        <translation>Worker intégré %1 : enregistrement auprès de la base de données</translation>
    </message>
    <message>
        <source>Schedules</source>
        <translation>Planifications</translation>
    </message>
    <message>
        <source>Worker stopping…</source>
        <translation>Arrêt du worker…</translation>
    </message>
    <message>
        <source>The in-process worker lets its running jobs finish, then stops.</source>
        <translation>Le worker intégré laisse ses tâches en cours se terminer, puis s&apos;arrête.</translation>
    </message>
    <message>
        <source>Closing HCM Admin</source>
        <translation>Fermeture de HCM Admin</translation>
    </message>
    <message>
        <source>Stop Now</source>
        <translation>Arrêter maintenant</translation>
    </message>
    <message>
        <source>Asks the running jobs to stop; they go back to the queue without spending a retry.</source>
        <translation>Demande aux tâches en cours de s&apos;arrêter ; elles retournent dans la file d&apos;attente sans consommer de nouvelle tentative.</translation>
    </message>
    <message>
        <source>Stopping 1 running job…</source>
        <translation>Arrêt d&apos;une tâche en cours…</translation>
    </message>
    <message numerus="yes">
        <source>Stopping %n running jobs…</source>
        <translation>
            <numerusform>Arrêt de %n tâche en cours…</numerusform>
            <numerusform>Arrêt de %n tâches en cours…</numerusform>
        </translation>
    </message>
    <message>
        <source>Waiting for 1 running job to finish…</source>
        <translation>Attente de la fin d&apos;une tâche en cours…</translation>
    </message>
    <message numerus="yes">
        <source>Waiting for %n running jobs to finish…</source>
        <translation>
            <numerusform>Attente de la fin de %n tâche en cours…</numerusform>
            <numerusform>Attente de la fin de %n tâches en cours…</numerusform>
        </translation>
    </message>
    <message>
        <source>Saving the results and stopping the worker…</source>
        <translation>Enregistrement des résultats et arrêt du worker…</translation>
    </message>
    <message>
        <source>Jobs that do not stop go back to the queue.</source>
        <translation>Les tâches qui ne s&apos;arrêtent pas retournent dans la file d&apos;attente.</translation>
    </message>
    <message>
        <source>Jobs still running in %1 are stopped and go back to the queue.</source>
        <translation>Les tâches encore en cours dans %1 sont arrêtées et retournent dans la file d&apos;attente.</translation>
    </message>
    <message>
        <source>Pages</source>
        <translation>Pages</translation>
    </message>
    <message>
        <source>Audit</source>
        <translation>Audit</translation>
    </message>
    <message>
        <source>Users</source>
        <translation>Utilisateurs</translation>
    </message>
    <message>
        <source>&amp;Job</source>
        <translation>&amp;Tâche</translation>
    </message>
    <message>
        <source>Signed in as %1 — %2</source>
        <translation>Connecté en tant que %1 — %2</translation>
    </message>
    <message>
        <source>1 job/min</source>
        <extracomment>jobs completed in the last 60 seconds</extracomment>
        <translation>1 tâche/min</translation>
    </message>
    <message numerus="yes">
        <source>%n jobs/min</source>
        <translation>
            <numerusform>%n tâche/min</numerusform>
            <numerusform>%n tâches/min</numerusform>
        </translation>
    </message>
    <message>
        <source>Jobs completed in the last 60 seconds</source>
        <translation>Tâches terminées au cours des 60 dernières secondes</translation>
    </message>
    <message>
        <source>%1 jobs completed in the last 60 seconds</source>
        <translation>%1 tâches terminées au cours des 60 dernières secondes</translation>
    </message>
    <message>
        <source>&amp;Schedules</source>
        <translation>&amp;Planifications</translation>
    </message>
    <message>
        <source>&amp;Audit</source>
        <translation>&amp;Audit</translation>
    </message>
    <message>
        <source>&amp;Users</source>
        <translation>&amp;Utilisateurs</translation>
    </message>
</context>
<context>
    <name>hcm::ui::NewJobDialog</name>
    <message>
        <source>New Job</source>
        <translation>Nouvelle tâche</translation>
    </message>
    <message>
        <source>&amp;Type:</source>
        <translation>&amp;Type :</translation>
    </message>
    <message>
        <source>&amp;Priority:</source>
        <translation>&amp;Priorité :</translation>
    </message>
    <message>
        <source>Payload (JSON)</source>
        <extracomment>accessible name of the JSON editor</extracomment>
        <translation>Payload (JSON)</translation>
    </message>
    <message>
        <source>Pay&amp;load:</source>
        <translation>Pay&amp;load :</translation>
    </message>
    <message>
        <source>Max &amp;retries:</source>
        <translation>Nouveaux &amp;essais max. :</translation>
    </message>
    <message>
        <source>Start &amp;later</source>
        <translation>Démarrer &amp;plus tard</translation>
    </message>
    <message>
        <source>Start:</source>
        <translation>Début :</translation>
    </message>
    <message>
        <source>&amp;Create job</source>
        <translation>&amp;Créer la tâche</translation>
    </message>
    <message>
        <source>one attempt, no retries</source>
        <translation>un essai, aucun nouvel essai</translation>
    </message>
    <message numerus="yes">
        <source>up to %n attempts; backoff %1 min</source>
        <extracomment>%1 is a list of minutes between failed attempts, e.g. &quot;2, 4, 8&quot;</extracomment>
        <translation>
            <numerusform>jusqu&apos;à %n essai ; délai %1 min</numerusform>
            <numerusform>jusqu&apos;à %n essais ; délai %1 min</numerusform>
        </translation>
    </message>
    <message>
        <source>Payload is valid</source>
        <translation>Le payload est valide</translation>
    </message>
    <message>
        <source>Creating…</source>
        <translation>Création…</translation>
    </message>
    <message>
        <source>Could not create the job: %1</source>
        <extracomment>%1 is the database&apos;s or the service&apos;s reason</extracomment>
        <translation>Impossible de créer la tâche : %1</translation>
    </message>
    <message>
        <source>Start time</source>
        <translation>Heure de début</translation>
    </message>
</context>
<context>
    <name>hcm::ui::NotificationsForm</name>
    <message>
        <source>Email (SMTP)</source>
        <translation>E-mail (SMTP)</translation>
    </message>
    <message>
        <source>Send alerts by email</source>
        <translation>Envoyer les alertes par e-mail</translation>
    </message>
    <message>
        <source>smtp.example.com</source>
        <translation>smtp.example.com</translation>
    </message>
    <message>
        <source>Server:</source>
        <translation>Serveur :</translation>
    </message>
    <message>
        <source>Port:</source>
        <translation>Port :</translation>
    </message>
    <message>
        <source>STARTTLS</source>
        <translation>STARTTLS</translation>
    </message>
    <message>
        <source>TLS (implicit)</source>
        <translation>TLS (implicite)</translation>
    </message>
    <message>
        <source>None (unencrypted)</source>
        <translation>Aucune (non chiffré)</translation>
    </message>
    <message>
        <source>Security:</source>
        <translation>Sécurité :</translation>
    </message>
    <message>
        <source>Optional</source>
        <translation>Facultatif</translation>
    </message>
    <message>
        <source>User name:</source>
        <translation>Nom d&apos;utilisateur :</translation>
    </message>
    <message>
        <source>New password</source>
        <translation>Nouveau mot de passe</translation>
    </message>
    <message>
        <source>Password:</source>
        <translation>Mot de passe :</translation>
    </message>
    <message>
        <source>hcm-alerts@example.com</source>
        <translation>hcm-alerts@example.com</translation>
    </message>
    <message>
        <source>From address:</source>
        <translation>Adresse d&apos;expéditeur :</translation>
    </message>
    <message>
        <source>HCM Admin</source>
        <translation>HCM Admin</translation>
    </message>
    <message>
        <source>From name:</source>
        <translation>Nom d&apos;expéditeur :</translation>
    </message>
    <message>
        <source>Reply-to:</source>
        <translation>Répondre à :</translation>
    </message>
    <message>
        <source>ops@example.com, oncall@example.com</source>
        <translation>ops@example.com, oncall@example.com</translation>
    </message>
    <message>
        <source>Addresses that receive alerts, separated by commas</source>
        <translation>Adresses qui reçoivent les alertes, séparées par des virgules</translation>
    </message>
    <message>
        <source>Admin recipients:</source>
        <translation>Destinataires admin :</translation>
    </message>
    <message>
        <source>Test:</source>
        <translation>Test :</translation>
    </message>
    <message>
        <source>SMS (Twilio)</source>
        <translation>SMS (Twilio)</translation>
    </message>
    <message>
        <source>Send alerts by SMS</source>
        <translation>Envoyer les alertes par SMS</translation>
    </message>
    <message>
        <source>Twilio</source>
        <translation>Twilio</translation>
    </message>
    <message>
        <source>Provider:</source>
        <translation>Fournisseur :</translation>
    </message>
    <message>
        <source>AC followed by 32 hexadecimal digits</source>
        <translation>AC suivi de 32 chiffres hexadécimaux</translation>
    </message>
    <message>
        <source>Account SID:</source>
        <translation>SID du compte :</translation>
    </message>
    <message>
        <source>New auth token</source>
        <translation>Nouveau jeton d&apos;authentification</translation>
    </message>
    <message>
        <source>Auth token:</source>
        <translation>Jeton d&apos;authentification :</translation>
    </message>
    <message>
        <source>+14155550123</source>
        <translation>+14155550123</translation>
    </message>
    <message>
        <source>From number:</source>
        <translation>Numéro d&apos;expéditeur :</translation>
    </message>
    <message>
        <source>+14155550123, +442071838750</source>
        <translation>+14155550123, +442071838750</translation>
    </message>
    <message>
        <source>Numbers in E.164 form that receive alerts, separated by commas</source>
        <translation>Numéros au format E.164 qui reçoivent les alertes, séparés par des virgules</translation>
    </message>
    <message>
        <source>Recipients:</source>
        <translation>Destinataires :</translation>
    </message>
    <message>
        <source>Advanced</source>
        <translation>Avancé</translation>
    </message>
    <message>
        <source>https://api.twilio.com</source>
        <translation>https://api.twilio.com</translation>
    </message>
    <message>
        <source>API address:</source>
        <translation>Adresse de l&apos;API :</translation>
    </message>
    <message>
        <source>Slack</source>
        <translation>Slack</translation>
    </message>
    <message>
        <source>Send alerts to Slack</source>
        <translation>Envoyer les alertes vers Slack</translation>
    </message>
    <message>
        <source>https://hooks.slack.com/services/…</source>
        <translation>https://hooks.slack.com/services/…</translation>
    </message>
    <message>
        <source>Webhook URL:</source>
        <translation>URL du webhook :</translation>
    </message>
    <message>
        <source>#alerts (optional)</source>
        <translation>#alerts (facultatif)</translation>
    </message>
    <message>
        <source>Channel:</source>
        <translation>Canal :</translation>
    </message>
    <message>
        <source>Events</source>
        <translation>Événements</translation>
    </message>
    <message>
        <source>Send an alert when:</source>
        <translation>Envoyer une alerte quand :</translation>
    </message>
    <message>
        <source>A job failed after its last retry</source>
        <translation>une tâche a échoué après son dernier essai</translation>
    </message>
    <message>
        <source>A job succeeded</source>
        <translation>une tâche a réussi</translation>
    </message>
    <message>
        <source>A job is retried</source>
        <translation>une tâche est relancée</translation>
    </message>
    <message>
        <source>A worker stops responding</source>
        <translation>un worker ne répond plus</translation>
    </message>
    <message>
        <source>Quiet hours</source>
        <translation>Heures calmes</translation>
    </message>
    <message>
        <source>Hold alerts during quiet hours</source>
        <translation>Retenir les alertes pendant les heures calmes</translation>
    </message>
    <message>
        <source>to</source>
        <extracomment>between the start and the end of quiet hours (&quot;22:00 to 07:00&quot;)</extracomment>
        <translation>à</translation>
    </message>
    <message>
        <source>From:</source>
        <translation>De :</translation>
    </message>
    <message>
        <source>Time zone:</source>
        <translation>Fuseau horaire :</translation>
    </message>
    <message>
        <source>Alerts raised during quiet hours are delivered when they end, never dropped.</source>
        <translation>Les alertes déclenchées pendant les heures calmes sont envoyées à leur fin, jamais abandonnées.</translation>
    </message>
    <message>
        <source>Delivery</source>
        <translation>Envoi</translation>
    </message>
    <message>
        <source>Immediately, one message per alert</source>
        <translation>Immédiatement, un message par alerte</translation>
    </message>
    <message>
        <source>Hourly digest</source>
        <translation>Récapitulatif horaire</translation>
    </message>
    <message>
        <source>Daily digest</source>
        <translation>Récapitulatif quotidien</translation>
    </message>
    <message>
        <source>Send:</source>
        <translation>Envoi :</translation>
    </message>
    <message>
        <source>None: the system&apos;s certificates only</source>
        <translation>Aucun : uniquement les certificats du système</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>Parcourir…</translation>
    </message>
    <message>
        <source>Extra Trusted CA Certificate</source>
        <translation>Certificat d&apos;AC de confiance supplémentaire</translation>
    </message>
    <message>
        <source>PEM certificates (*.pem *.crt *.cer);;All files (*)</source>
        <translation>Certificats PEM (*.pem *.crt *.cer);;Tous les fichiers (*)</translation>
    </message>
    <message>
        <source>Trusted CA:</source>
        <translation>AC de confiance :</translation>
    </message>
    <message>
        <source>A PEM file trusted for SMTP and HTTPS besides the system&apos;s certificates, for a private CA. Certificates are always verified.</source>
        <translation>Un fichier PEM approuvé pour SMTP et HTTPS en plus des certificats du système, pour une AC privée. Les certificats sont toujours vérifiés.</translation>
    </message>
    <message>
        <source>A digest is one message per channel with every alert since the previous one: hourly at the top of each hour, daily at %1, in the time zone of quiet hours. One due during quiet hours goes out when they end.</source>
        <extracomment>%1 is the time of day of daily digests (&quot;08:00&quot;)</extracomment>
        <translation>Un récapitulatif est un message par canal avec toutes les alertes depuis le précédent : toutes les heures à l&apos;heure pile, chaque jour à %1, dans le fuseau horaire des heures calmes. Un récapitulatif prévu pendant les heures calmes part à leur fin.</translation>
    </message>
    <message>
        <source>%1:</source>
        <extracomment>the label of a field&apos;s row: &quot;SMTP server:&quot;</extracomment>
        <translation>%1 :</translation>
    </message>
</context>
<context>
    <name>hcm::ui::NotificationsPage</name>
    <message>
        <source>Notification settings</source>
        <translation>Paramètres de notification</translation>
    </message>
    <message>
        <source>Try Again</source>
        <translation>Réessayer</translation>
    </message>
    <message>
        <source>&amp;Revert</source>
        <translation>&amp;Rétablir</translation>
    </message>
    <message>
        <source>Back to the settings as last loaded</source>
        <translation>Revenir aux paramètres tels que chargés la dernière fois</translation>
    </message>
    <message>
        <source>&amp;Save</source>
        <translation>&amp;Enregistrer</translation>
    </message>
    <message>
        <source>Save the notification settings (%1)</source>
        <translation>Enregistrer les paramètres de notification (%1)</translation>
    </message>
    <message>
        <source>Never saved: these are the defaults.</source>
        <translation>Jamais enregistrés : ce sont les valeurs par défaut.</translation>
    </message>
    <message>
        <source>Last saved by %1 on %2 at %3 (version %4)</source>
        <extracomment>%1 who, %2 date, %3 time, %4 version number</extracomment>
        <translation>Enregistrés pour la dernière fois par %1 le %2 à %3 (version %4)</translation>
    </message>
    <message>
        <source>an unknown user</source>
        <translation>un utilisateur inconnu</translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation>Enregistrement…</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Chargement…</translation>
    </message>
    <message>
        <source>1 field needs attention</source>
        <translation>1 champ nécessite votre attention</translation>
    </message>
    <message numerus="yes">
        <source>%n fields need attention</source>
        <translation>
            <numerusform>%n champ nécessite votre attention</numerusform>
            <numerusform>%n champs nécessitent votre attention</numerusform>
        </translation>
    </message>
    <message>
        <source>Unsaved changes</source>
        <translation>Modifications non enregistrées</translation>
    </message>
    <message>
        <source>The notification settings could not be loaded: %1</source>
        <translation>Les paramètres de notification n&apos;ont pas pu être chargés : %1</translation>
    </message>
    <message>
        <source>The settings are busy loading or saving.</source>
        <translation>Les paramètres sont en cours de chargement ou d&apos;enregistrement.</translation>
    </message>
    <message>
        <source>Not saved: 1 field needs attention.</source>
        <translation>Non enregistré : 1 champ nécessite votre attention.</translation>
    </message>
    <message numerus="yes">
        <source>Not saved: %n fields need attention.</source>
        <translation>
            <numerusform>Non enregistré : %n champ nécessite votre attention.</numerusform>
            <numerusform>Non enregistré : %n champs nécessitent votre attention.</numerusform>
        </translation>
    </message>
    <message>
        <source>Notification settings saved (version %1).</source>
        <translation>Paramètres de notification enregistrés (version %1).</translation>
    </message>
    <message>
        <source>Not saved: someone else saved the settings after you opened them. Save again to review the differences.</source>
        <translation>Non enregistré : quelqu&apos;un d&apos;autre a enregistré les paramètres après que vous les avez ouverts. Enregistrez à nouveau pour examiner les différences.</translation>
    </message>
</context>
<context>
    <name>hcm::ui::PausedTypesBar</name>
    <message>
        <source>Every job type resumed.</source>
        <translation>Tous les types de tâche ont repris.</translation>
    </message>
    <message>
        <source>%1 resumed.</source>
        <translation>%1 repris.</translation>
    </message>
    <message>
        <source>Resume failed</source>
        <translation>Échec de la reprise</translation>
    </message>
    <message>
        <source>%1 (by %2 at %3)</source>
        <extracomment>one paused job type on the workers page: type, who paused it, when</extracomment>
        <translation>%1 (par %2 le %3)</translation>
    </message>
    <message>
        <source>all types</source>
        <translation>tous les types</translation>
    </message>
    <message>
        <source>Paused types: %1. Their queued jobs wait; new ones are accepted and wait.</source>
        <translation>Types suspendus : %1. Leurs tâches en attente attendent ; les nouvelles sont acceptées et attendent.</translation>
    </message>
    <message>
        <source>Resume All</source>
        <translation>Tout reprendre</translation>
    </message>
    <message>
        <source>Resume %1</source>
        <translation>Reprendre %1</translation>
    </message>
</context>
<context>
    <name>hcm::ui::ScheduleDialog</name>
    <message>
        <source>Edit Schedule</source>
        <translation>Modifier la planification</translation>
    </message>
    <message>
        <source>New Schedule</source>
        <translation>Nouvelle planification</translation>
    </message>
    <message>
        <source>minute hour day-of-month month day-of-week, e.g. 0 3 * * *</source>
        <extracomment>placeholder of the cron expression field</extracomment>
        <translation>minute heure jour-du-mois mois jour-de-la-semaine, p. ex. 0 3 * * *</translation>
    </message>
    <message>
        <source>Skip while the previous job is queued or running</source>
        <translation>Ignorer tant que la tâche précédente est en attente ou en cours</translation>
    </message>
    <message>
        <source>Allow</source>
        <translation>Autoriser</translation>
    </message>
    <message>
        <source>Run once when the workers are back</source>
        <translation>Exécuter une fois au retour des workers</translation>
    </message>
    <message>
        <source>Skip</source>
        <translation>Ignorer</translation>
    </message>
    <message>
        <source>Enabled</source>
        <translation>Activée</translation>
    </message>
    <message>
        <source>In the schedule&apos;s zone</source>
        <translation>Dans le fuseau de la planification</translation>
    </message>
    <message>
        <source>Local time</source>
        <translation>Heure locale</translation>
    </message>
    <message>
        <source>&amp;Name:</source>
        <translation>&amp;Nom :</translation>
    </message>
    <message>
        <source>Job &amp;type:</source>
        <translation>&amp;Type de tâche :</translation>
    </message>
    <message>
        <source>&amp;Cron expression:</source>
        <translation>Expression &amp;cron :</translation>
    </message>
    <message>
        <source>Time &amp;zone:</source>
        <translation>&amp;Fuseau horaire :</translation>
    </message>
    <message>
        <source>&amp;Payload:</source>
        <translation>&amp;Payload :</translation>
    </message>
    <message>
        <source>P&amp;riority:</source>
        <translation>P&amp;riorité :</translation>
    </message>
    <message>
        <source>&amp;Overlap:</source>
        <translation>C&amp;hevauchement :</translation>
    </message>
    <message>
        <source>&amp;Missed runs:</source>
        <translation>Exécutions &amp;manquées :</translation>
    </message>
    <message>
        <source>Next runs:</source>
        <translation>Prochaines exécutions :</translation>
    </message>
    <message>
        <source>Max retr&amp;ies:</source>
        <translation>Nouveaux &amp;essais max. :</translation>
    </message>
</context>
<context>
    <name>hcm::ui::ScheduleTableModel</name>
    <message>
        <source>off</source>
        <translation>désactivée</translation>
    </message>
    <message>
        <source>never</source>
        <translation>jamais</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation>%1 (%2)</translation>
    </message>
    <message>
        <source>on</source>
        <translation>activée</translation>
    </message>
    <message>
        <source>Times in %1</source>
        <translation>Heures dans le fuseau %1</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Nom</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>Type</translation>
    </message>
    <message>
        <source>When</source>
        <translation>Quand</translation>
    </message>
    <message>
        <source>Time zone</source>
        <translation>Fuseau horaire</translation>
    </message>
    <message>
        <source>Next run</source>
        <translation>Prochaine exécution</translation>
    </message>
    <message>
        <source>Last run</source>
        <translation>Dernière exécution</translation>
    </message>
    <message>
        <source>Enabled</source>
        <translation>Activée</translation>
    </message>
</context>
<context>
    <name>hcm::ui::SchedulesPage</name>
    <message>
        <source>&amp;New Schedule…</source>
        <translation>&amp;Nouvelle planification…</translation>
    </message>
    <message>
        <source>&amp;Run Now</source>
        <translation>E&amp;xécuter maintenant</translation>
    </message>
    <message>
        <source>&amp;Edit…</source>
        <translation>&amp;Modifier…</translation>
    </message>
    <message>
        <source>D&amp;uplicate…</source>
        <translation>D&amp;upliquer…</translation>
    </message>
    <message>
        <source>&amp;Disable</source>
        <translation>&amp;Désactiver</translation>
    </message>
    <message>
        <source>E&amp;nable</source>
        <translation>&amp;Activer</translation>
    </message>
    <message>
        <source>Show &amp;Jobs</source>
        <translation>Afficher les &amp;tâches</translation>
    </message>
    <message>
        <source>De&amp;lete…</source>
        <translation>Supp&amp;rimer…</translation>
    </message>
    <message>
        <source>%1 (copy)</source>
        <extracomment>the name of a duplicated schedule</extracomment>
        <translation>%1 (copie)</translation>
    </message>
    <message>
        <source>Delete Schedule</source>
        <translation>Supprimer la planification</translation>
    </message>
    <message>
        <source>Delete the schedule &quot;%1&quot;? The jobs it made stay.</source>
        <translation>Supprimer la planification « %1 » ? Les tâches qu&apos;elle a créées sont conservées.</translation>
    </message>
    <message>
        <source>Jobs of %1</source>
        <translation>Tâches de %1</translation>
    </message>
    <message>
        <source>Job</source>
        <translation>Tâche</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Statut</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>Créée</translation>
    </message>
    <message>
        <source>Finished</source>
        <translation>Fin</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>Erreur</translation>
    </message>
</context>
<context>
    <name>hcm::ui::SecretFieldWidget</name>
    <message>
        <source>Clear</source>
        <translation>Effacer</translation>
    </message>
    <message>
        <source>Remove the stored value when the settings are saved</source>
        <translation>Supprimer la valeur enregistrée lors de l&apos;enregistrement des paramètres</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>Annuler</translation>
    </message>
    <message>
        <source>Keep the stored value</source>
        <translation>Conserver la valeur enregistrée</translation>
    </message>
    <message>
        <source>Set</source>
        <extracomment>state of a write-only secret: a value is stored (it is never shown)</extracomment>
        <translation>Défini</translation>
    </message>
    <message>
        <source>Not set</source>
        <translation>Non défini</translation>
    </message>
    <message>
        <source>Will be cleared</source>
        <translation>Sera effacé</translation>
    </message>
    <message>
        <source>Replace…</source>
        <extracomment>button of a write-only secret: type a new value (Set… when none is stored)</extracomment>
        <translation>Remplacer…</translation>
    </message>
    <message>
        <source>Set…</source>
        <translation>Définir…</translation>
    </message>
</context>
<context>
    <name>hcm::ui::SettingsConflictDialog</name>
    <message>
        <source>changed by someone else</source>
        <extracomment>a write-only secret another admin replaced or cleared; its value is never shown</extracomment>
        <translation>modifié par quelqu&apos;un d&apos;autre</translation>
    </message>
    <message>
        <source>unchanged</source>
        <translation>inchangé</translation>
    </message>
    <message>
        <source>cleared</source>
        <translation>effacé</translation>
    </message>
    <message>
        <source>new value (hidden)</source>
        <translation>nouvelle valeur (masquée)</translation>
    </message>
    <message>
        <source>on</source>
        <translation>activé</translation>
    </message>
    <message>
        <source>off</source>
        <translation>désactivé</translation>
    </message>
    <message>
        <source>(empty)</source>
        <translation>(vide)</translation>
    </message>
    <message>
        <source>Settings Changed by Someone Else</source>
        <translation>Paramètres modifiés par quelqu&apos;un d&apos;autre</translation>
    </message>
    <message>
        <source>&lt;b&gt;The notification settings were saved by someone else after you opened them.&lt;/b&gt;&lt;br&gt;Nothing was saved. These fields differ from what you started with:</source>
        <translation>&lt;b&gt;Les paramètres de notification ont été enregistrés par quelqu&apos;un d&apos;autre après que vous les avez ouverts.&lt;/b&gt;&lt;br&gt;Rien n&apos;a été enregistré. Ces champs diffèrent de ce que vous aviez au départ :</translation>
    </message>
    <message>
        <source>Field</source>
        <translation>Champ</translation>
    </message>
    <message>
        <source>Your value</source>
        <translation>Votre valeur</translation>
    </message>
    <message>
        <source>Stored now</source>
        <translation>Enregistré actuellement</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Chargement…</translation>
    </message>
    <message>
        <source>&lt;b&gt;The notification settings were saved by someone else after you opened them.&lt;/b&gt;&lt;br&gt;Nothing was saved. No field differs from what you started with.</source>
        <translation>&lt;b&gt;Les paramètres de notification ont été enregistrés par quelqu&apos;un d&apos;autre après que vous les avez ouverts.&lt;/b&gt;&lt;br&gt;Rien n&apos;a été enregistré. Aucun champ ne diffère de ce que vous aviez au départ.</translation>
    </message>
    <message>
        <source>Overwrite with Mine</source>
        <translation>Écraser avec les miens</translation>
    </message>
    <message>
        <source>Save your values; the values listed as stored now are replaced</source>
        <translation>Enregistrer vos valeurs ; les valeurs indiquées comme enregistrées actuellement sont remplacées</translation>
    </message>
    <message>
        <source>Discard Mine and Reload</source>
        <translation>Abandonner les miens et recharger</translation>
    </message>
    <message>
        <source>Forget your changes and show the settings as stored now</source>
        <translation>Oublier vos modifications et afficher les paramètres tels qu&apos;ils sont enregistrés actuellement</translation>
    </message>
    <message>
        <source>Go back to editing; nothing is saved</source>
        <translation>Revenir à la modification ; rien n&apos;est enregistré</translation>
    </message>
    <message>
        <source>&lt;b&gt;%1 saved the notification settings at %2, after you opened them.&lt;/b&gt;&lt;br&gt;Nothing was saved. These fields differ from what you started with:</source>
        <extracomment>%1 who saved, %2 when</extracomment>
        <translation>&lt;b&gt;%1 a enregistré les paramètres de notification à %2, après que vous les avez ouverts.&lt;/b&gt;&lt;br&gt;Rien n&apos;a été enregistré. Ces champs diffèrent de ce que vous aviez au départ :</translation>
    </message>
    <message>
        <source>Someone else</source>
        <translation>Quelqu&apos;un d&apos;autre</translation>
    </message>
    <message>
        <source>—</source>
        <translation>—</translation>
    </message>
    <message>
        <source>The stored values could not be read: %1</source>
        <translation>Les valeurs enregistrées n&apos;ont pas pu être lues : %1</translation>
    </message>
</context>
<context>
    <name>hcm::ui::StatusFilterModel</name>
    <message>
        <source>All</source>
        <translation>Toutes</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <extracomment>status filter entry: &quot;Queued (1,234)&quot;</extracomment>
        <translation>%1 (%2)</translation>
    </message>
    <message>
        <source>Jobs of every status</source>
        <translation>Tâches de tous les statuts</translation>
    </message>
    <message>
        <source>Only %1 jobs</source>
        <translation>Uniquement les tâches à l&apos;état %1</translation>
    </message>
    <message>
        <source>%1 (more than %2)</source>
        <extracomment>status filter entry when there are more jobs than were counted: &quot;All (more than 100,000)&quot;</extracomment>
        <translation>%1 (plus de %2)</translation>
    </message>
    <message>
        <source>%1 (at least %2)</source>
        <extracomment>status filter entry when only part of the jobs was counted: &quot;Failed (at least 1,234)&quot;</extracomment>
        <translation>%1 (au moins %2)</translation>
    </message>
</context>
<context>
    <name>hcm::ui::ThroughputChart</name>
    <message>
        <source>Throughput</source>
        <extracomment>accessible name of the chart of finished jobs per minute</extracomment>
        <translation>Débit</translation>
    </message>
    <message>
        <source>Completed %1 · Failed %2</source>
        <translation>Terminées %1 · Échouées %2</translation>
    </message>
    <message>
        <source>now</source>
        <translation>maintenant</translation>
    </message>
    <message>
        <source>%1–%2
Completed %3 · Failed %4</source>
        <extracomment>tooltip of one minute&apos;s bar: time range, then counts</extracomment>
        <translation>%1–%2
Terminées %3 · Échouées %4</translation>
    </message>
    <message>
        <source>Completed %1</source>
        <translation>Terminées %1</translation>
    </message>
    <message>
        <source>Failed %1</source>
        <translation>Échouées %1</translation>
    </message>
    <message>
        <source>in the last hour</source>
        <translation>au cours de la dernière heure</translation>
    </message>
    <message numerus="yes">
        <source>in the last %n minutes</source>
        <translation>
            <numerusform>au cours de la dernière minute</numerusform>
            <numerusform>au cours des %n dernières minutes</numerusform>
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
        <translation>Aucune donnée</translation>
    </message>
    <message>
        <source>No jobs finished in this period</source>
        <translation>Aucune tâche terminée sur cette période</translation>
    </message>
</context>
<context>
    <name>hcm::ui::TokenCreatedDialog</name>
    <message>
        <source>New API Token</source>
        <translation>Nouveau jeton d&apos;API</translation>
    </message>
    <message>
        <source>The token &quot;%1&quot; for %2 was created. It acts as %2 with that user&apos;s role: send it as &lt;tt&gt;Authorization: Bearer &amp;lt;token&amp;gt;&lt;/tt&gt;.</source>
        <translation>Le jeton « %1 » pour %2 a été créé. Il agit au nom de %2, avec le rôle de cet utilisateur : envoyez-le sous la forme &lt;tt&gt;Authorization: Bearer &amp;lt;token&amp;gt;&lt;/tt&gt;.</translation>
    </message>
    <message>
        <source>Copy it now: it will not be shown again. Only a hash of it is stored; a lost token cannot be recovered, only revoked and replaced.</source>
        <translation>Copiez-le maintenant : il ne sera plus affiché. Seule son empreinte (hash) est conservée ; un jeton perdu ne peut pas être récupéré, seulement révoqué et remplacé.</translation>
    </message>
    <message>
        <source>New API token</source>
        <translation>Nouveau jeton d&apos;API</translation>
    </message>
    <message>
        <source>&amp;Copy</source>
        <translation>&amp;Copier</translation>
    </message>
    <message>
        <source>Copy the token to the clipboard</source>
        <translation>Copier le jeton dans le presse-papiers</translation>
    </message>
    <message>
        <source>Copied</source>
        <translation>Copié</translation>
    </message>
</context>
<context>
    <name>hcm::ui::TokenTableModel</name>
    <message>
        <source>Token</source>
        <translation>Jeton</translation>
    </message>
    <message>
        <source>User</source>
        <translation>Utilisateur</translation>
    </message>
    <message>
        <source>Begins With</source>
        <extracomment>The first characters of an API token, which tell tokens apart (the token itself is never shown)</extracomment>
        <translation>Commence par</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>Créé</translation>
    </message>
    <message>
        <source>Expires</source>
        <translation>Expiration</translation>
    </message>
    <message>
        <source>Last Used</source>
        <translation>Dernière utilisation</translation>
    </message>
    <message>
        <source>Last Client</source>
        <translation>Dernier client</translation>
    </message>
    <message>
        <source>State</source>
        <translation>État</translation>
    </message>
    <message>
        <source>Revoked by %1 on %2</source>
        <translation>Révoqué par %1 le %2</translation>
    </message>
    <message>
        <source>Never</source>
        <translation>Jamais</translation>
    </message>
    <message>
        <source>Revoked %1</source>
        <translation>Révoqué le %1</translation>
    </message>
    <message>
        <source>Expired</source>
        <translation>Expiré</translation>
    </message>
    <message>
        <source>Active</source>
        <translation>Actif</translation>
    </message>
</context>
<context>
    <name>hcm::ui::UserTableModel</name>
    <message>
        <source>User</source>
        <translation>Utilisateur</translation>
    </message>
    <message>
        <source>Display Name</source>
        <translation>Nom affiché</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>Rôle</translation>
    </message>
    <message>
        <source>Disabled</source>
        <translation>Désactivé</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>Créé</translation>
    </message>
    <message>
        <source>Created By</source>
        <translation>Créé par</translation>
    </message>
    <message>
        <source>Updated</source>
        <translation>Modifié</translation>
    </message>
    <message>
        <source>Updated By</source>
        <translation>Modifié par</translation>
    </message>
</context>
<context>
    <name>hcm::ui::UsersPage</name>
    <message>
        <source>Users</source>
        <translation>Utilisateurs</translation>
    </message>
    <message>
        <source>New user&apos;s name</source>
        <translation>Nom du nouvel utilisateur</translation>
    </message>
    <message>
        <source>Login name</source>
        <translation>Nom de connexion</translation>
    </message>
    <message>
        <source>New user&apos;s display name</source>
        <translation>Nom affiché du nouvel utilisateur</translation>
    </message>
    <message>
        <source>Display name (optional)</source>
        <translation>Nom affiché (facultatif)</translation>
    </message>
    <message>
        <source>New user&apos;s role</source>
        <translation>Rôle du nouvel utilisateur</translation>
    </message>
    <message>
        <source>&amp;Add User</source>
        <translation>&amp;Ajouter</translation>
    </message>
    <message>
        <source>New user</source>
        <translation>Nouvel utilisateur</translation>
    </message>
    <message>
        <source>Role of the selected user</source>
        <translation>Rôle de l&apos;utilisateur sélectionné</translation>
    </message>
    <message>
        <source>&amp;Change Role</source>
        <translation>&amp;Changer le rôle</translation>
    </message>
    <message>
        <source>&amp;Disable</source>
        <translation>&amp;Désactiver</translation>
    </message>
    <message>
        <source>Selected user</source>
        <translation>Utilisateur sélectionné</translation>
    </message>
    <message>
        <source>&amp;Enable</source>
        <translation>&amp;Réactiver</translation>
    </message>
    <message>
        <source>Saved the changes to %1.</source>
        <translation>Modifications de %1 enregistrées.</translation>
    </message>
    <message>
        <source>API tokens</source>
        <translation>Jetons d&apos;API</translation>
    </message>
    <message>
        <source>New token&apos;s name</source>
        <translation>Nom du nouveau jeton</translation>
    </message>
    <message>
        <source>What the token is for, e.g. HR backend</source>
        <translation>À quoi sert le jeton, par exemple HR backend</translation>
    </message>
    <message>
        <source>New token&apos;s expiry</source>
        <translation>Expiration du nouveau jeton</translation>
    </message>
    <message>
        <source>Expires in 30 days</source>
        <translation>Expire dans 30 jours</translation>
    </message>
    <message>
        <source>Expires in 90 days</source>
        <translation>Expire dans 90 jours</translation>
    </message>
    <message>
        <source>Expires in a year</source>
        <translation>Expire dans un an</translation>
    </message>
    <message>
        <source>Never expires</source>
        <translation>N&apos;expire jamais</translation>
    </message>
    <message>
        <source>Create &amp;Token for Selected User</source>
        <translation>Créer un &amp;jeton pour l&apos;utilisateur sélectionné</translation>
    </message>
    <message>
        <source>&amp;Revoke Token…</source>
        <translation>Ré&amp;voquer le jeton…</translation>
    </message>
    <message>
        <source>Select the user the token acts as.</source>
        <translation>Sélectionnez l&apos;utilisateur au nom duquel le jeton agit.</translation>
    </message>
    <message>
        <source>%1 is disabled: enable the user first.</source>
        <translation>%1 est désactivé : réactivez d&apos;abord l&apos;utilisateur.</translation>
    </message>
    <message>
        <source>Creates a token that acts as %1.</source>
        <translation>Crée un jeton qui agit au nom de %1.</translation>
    </message>
    <message>
        <source>Give the token a name that says what it is for.</source>
        <translation>Donnez au jeton un nom qui indique à quoi il sert.</translation>
    </message>
    <message>
        <source>Revoke API Token</source>
        <translation>Révoquer le jeton d&apos;API</translation>
    </message>
    <message>
        <source>Revoke the token &quot;%1&quot; of %2 (%3…)?</source>
        <translation>Révoquer le jeton « %1 » de %2 (%3…) ?</translation>
    </message>
    <message>
        <source>Programs that use it get 401 Unauthorized from their next request on. This cannot be undone.</source>
        <translation>Les programmes qui l&apos;utilisent recevront 401 Unauthorized dès leur prochaine requête. Cette action est irréversible.</translation>
    </message>
    <message>
        <source>&amp;Revoke</source>
        <translation>&amp;Révoquer</translation>
    </message>
    <message>
        <source>Created the token &quot;%1&quot; for %2.</source>
        <translation>Jeton « %1 » créé pour %2.</translation>
    </message>
    <message>
        <source>Revoked the token &quot;%1&quot;.</source>
        <translation>Jeton « %1 » révoqué.</translation>
    </message>
</context>
<context>
    <name>hcm::ui::WorkerJobsModel</name>
    <message>
        <source>Job</source>
        <translation>Tâche</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>Type</translation>
    </message>
    <message>
        <source>Job status</source>
        <extracomment>the job&apos;s status now (an attempt&apos;s job may have been requeued since)</extracomment>
        <translation>État de la tâche</translation>
    </message>
    <message>
        <source>Attempt</source>
        <translation>Tentative</translation>
    </message>
    <message>
        <source>Started</source>
        <translation>Démarrée</translation>
    </message>
    <message>
        <source>Ended / lease</source>
        <extracomment>when the attempt ended, or when the lease of a held job expires</extracomment>
        <translation>Fin / bail</translation>
    </message>
    <message>
        <source>Attempt outcome</source>
        <translation>Issue de la tentative</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>Erreur</translation>
    </message>
    <message>
        <source>Completed</source>
        <translation>Terminée</translation>
    </message>
    <message>
        <source>Timed out</source>
        <translation>Délai dépassé</translation>
    </message>
    <message>
        <source>Lost</source>
        <extracomment>the worker running the attempt stopped responding; the reaper took the job back</extracomment>
        <translation>Perdue</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>Annulée</translation>
    </message>
    <message>
        <source>Interrupted</source>
        <extracomment>stopped by a worker shutdown, requeued without spending a retry</extracomment>
        <translation>Interrompue</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>Échouée</translation>
    </message>
    <message>
        <source>lease expires in %1</source>
        <translation>le bail expire dans %1</translation>
    </message>
    <message>
        <source>lease expired %1 ago</source>
        <extracomment>the lease ran out: the next reaper pass requeues the job</extracomment>
        <translation>bail expiré depuis %1</translation>
    </message>
    <message>
        <source>Running</source>
        <translation>En cours</translation>
    </message>
    <message>
        <source>Double-click to open the details of %1.</source>
        <translation>Double-cliquez pour ouvrir le détail de %1.</translation>
    </message>
    <message>
        <source>Not started</source>
        <extracomment>claimed by a worker that died before the job started; requeued without spending a retry</extracomment>
        <translation>Non démarrée</translation>
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
        <translation>Hôte</translation>
    </message>
    <message>
        <source>PID</source>
        <translation>PID</translation>
    </message>
    <message>
        <source>State</source>
        <translation>État</translation>
    </message>
    <message>
        <source>Running</source>
        <translation>En cours</translation>
    </message>
    <message>
        <source>Started</source>
        <translation>Démarrée</translation>
    </message>
    <message>
        <source>Last heartbeat</source>
        <translation>Dernier signal de vie</translation>
    </message>
    <message>
        <source>Version</source>
        <translation>Version</translation>
    </message>
    <message>
        <source>Stopped</source>
        <translation>Arrêté</translation>
    </message>
    <message>
        <source>Lost (no heartbeat for %1)</source>
        <translation>Perdu (aucun signal de vie depuis %1)</translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <extracomment>running jobs &quot;of&quot; the worker&apos;s concurrency</extracomment>
        <translation>%1 sur %2</translation>
    </message>
    <message>
        <source>%1 ago</source>
        <translation>il y a %1</translation>
    </message>
    <message>
        <source>No heartbeat since %1. The jobs it holds return to the queue when their leases expire; select the worker to see them.</source>
        <translation>Aucun signal de vie depuis %1. Ses tâches retournent dans la file quand leur bail expire ; sélectionnez le worker pour les voir.</translation>
    </message>
    <message>
        <source>Shown as lost after %1 without a heartbeat.</source>
        <extracomment>%1 a duration (&quot;1 min 40 s&quot;)</extracomment>
        <translation>Affiché comme perdu après %1 sans signal de vie.</translation>
    </message>
</context>
<context>
    <name>hcm::ui::WorkersPage</name>
    <message>
        <source>Workers register when they start and send a heartbeat every few seconds. A worker without a heartbeat is lost: its running jobs return to the queue when their lease expires. Select a worker to see its jobs.</source>
        <translation>Les workers s&apos;enregistrent au démarrage et envoient un signal de vie toutes les quelques secondes. Un worker sans signal de vie est perdu : ses tâches en cours retournent dans la file quand leur bail expire. Sélectionnez un worker pour voir ses tâches.</translation>
    </message>
    <message>
        <source>Select a worker to see the jobs it holds and its recent attempts that did not complete.</source>
        <translation>Sélectionnez un worker pour voir les tâches qu&apos;il détient et ses dernières tentatives qui n&apos;ont pas abouti.</translation>
    </message>
    <message>
        <source>%1 on %2 is %3: no heartbeat for %4.</source>
        <extracomment>%1 worker id, %2 host, %3 the word &quot;lost&quot; (highlighted), %4 a duration (&quot;4 min 10 s&quot;)</extracomment>
        <translation>%1 sur %2 est %3 : aucun signal de vie depuis %4.</translation>
    </message>
    <message>
        <source>lost</source>
        <translation>perdu</translation>
    </message>
    <message>
        <source>%1 on %2 stopped at %3.</source>
        <translation>%1 sur %2 s&apos;est arrêté le %3.</translation>
    </message>
    <message>
        <source>%1 on %2 is running.</source>
        <translation>%1 sur %2 est actif.</translation>
    </message>
    <message>
        <source>Loading its jobs…</source>
        <translation>Chargement de ses tâches…</translation>
    </message>
    <message>
        <source>It holds no jobs.</source>
        <translation>Il ne détient aucune tâche.</translation>
    </message>
    <message>
        <source>It still holds 1 job; it returns to the queue when its lease expires.</source>
        <translation>Il détient encore 1 tâche ; elle retourne dans la file quand son bail expire.</translation>
    </message>
    <message numerus="yes">
        <source>It still holds %n jobs; each returns to the queue when its lease expires.</source>
        <translation>
            <numerusform>Il détient encore %n tâche ; elle retourne dans la file quand son bail expire.</numerusform>
            <numerusform>Il détient encore %n tâches ; chacune retourne dans la file quand son bail expire.</numerusform>
        </translation>
    </message>
    <message>
        <source>It holds 1 job.</source>
        <translation>Il détient 1 tâche.</translation>
    </message>
    <message numerus="yes">
        <source>It holds %n jobs.</source>
        <translation>
            <numerusform>Il détient %n tâche.</numerusform>
            <numerusform>Il détient %n tâches.</numerusform>
        </translation>
    </message>
    <message>
        <source>Below, its latest attempt that did not complete.</source>
        <translation>Ci-dessous, sa dernière tentative qui n&apos;a pas abouti.</translation>
    </message>
    <message numerus="yes">
        <source>Below, its latest %n attempts that did not complete.</source>
        <translation>
            <numerusform>Ci-dessous, sa dernière tentative qui n&apos;a pas abouti.</numerusform>
            <numerusform>Ci-dessous, ses %n dernières tentatives qui n&apos;ont pas abouti.</numerusform>
        </translation>
    </message>
    <message>
        <source>Double-click a job to open its details.</source>
        <translation>Double-cliquez sur une tâche pour ouvrir son détail.</translation>
    </message>
    <message>
        <source>Could not load: %1</source>
        <translation>Chargement impossible : %1</translation>
    </message>
    <message>
        <source>Show &amp;Details</source>
        <translation>Afficher le &amp;détail</translation>
    </message>
    <message>
        <source>Copy &amp;ID</source>
        <translation>Copier l&apos;&amp;ID</translation>
    </message>
    <message>
        <source>Workers</source>
        <translation>Workers</translation>
    </message>
    <message>
        <source>Jobs of the selected worker</source>
        <translation>Tâches du worker sélectionné</translation>
    </message>
    <message>
        <source>Running</source>
        <translation>En cours</translation>
    </message>
    <message>
        <source>Stopped</source>
        <translation>Arrêté</translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <extracomment>as in the Running column: running jobs &quot;of&quot; the worker&apos;s threads</extracomment>
        <translation>%1 sur %2</translation>
    </message>
    <message>
        <source>%1 ago</source>
        <translation>il y a %1</translation>
    </message>
</context>
</TS>
