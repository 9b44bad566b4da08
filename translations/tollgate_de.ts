<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name>Tollgate::AccessGroupTableModel</name>
    <message>
        <source>Access group</source>
        <translation>Zugriffsgruppe</translation>
    </message>
    <message>
        <source>Models in the group</source>
        <translation>Modelle in der Gruppe</translation>
    </message>
    <message>
        <source>A key or user whose models list %1 may use every model in it</source>
        <translation>Ein Schlüssel oder Benutzer, dessen Modellliste %1 enthält, darf jedes Modell darin verwenden</translation>
    </message>
    <message numerus="yes">
        <source>%n model(s)</source>
        <translation>
            <numerusform>%n Modell</numerusform>
            <numerusform>%n Modelle</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Tollgate::Banner</name>
    <message>
        <source>Dismiss</source>
        <translation>Schließen</translation>
    </message>
    <message>
        <source>Dismiss all</source>
        <translation>Alle schließen</translation>
    </message>
    <message numerus="yes">
        <source>%n earlier message(s)</source>
        <translation>
            <numerusform>%n frühere Meldung</numerusform>
            <numerusform>%n frühere Meldungen</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Tollgate::BudgetLimitsWidget</name>
    <message>
        <source>Budget</source>
        <translation>Budget</translation>
    </message>
    <message>
        <source>Max budget:</source>
        <translation>Max. Budget:</translation>
    </message>
    <message>
        <source>Calls are refused once this much has been spent (in this period, when the budget resets)</source>
        <translation>Aufrufe werden abgelehnt, sobald so viel ausgegeben wurde (im aktuellen Zeitraum, falls das Budget zurückgesetzt wird)</translation>
    </message>
    <message>
        <source>Soft limit:</source>
        <translation>Soft-Limit:</translation>
    </message>
    <message>
        <source>Only warns (Budgets page, notifications) when spend passes it; calls still go through</source>
        <translation>Warnt nur (Seite „Budgets“, Benachrichtigungen), wenn die Ausgaben es überschreiten; Aufrufe werden weiter ausgeführt</translation>
    </message>
    <message>
        <source>Resets every:</source>
        <translation>Zurücksetzen alle:</translation>
    </message>
    <message>
        <source>Rate limits</source>
        <translation>Ratenlimits</translation>
    </message>
    <message>
        <source>Requests per minute:</source>
        <translation>Anfragen pro Minute:</translation>
    </message>
    <message>
        <source>Tokens per minute:</source>
        <translation>Tokens pro Minute:</translation>
    </message>
    <message>
        <source>Parallel requests:</source>
        <translation>Parallele Anfragen:</translation>
    </message>
    <message>
        <source>No limit</source>
        <translation>Kein Limit</translation>
    </message>
    <message>
        <source>never resets</source>
        <translation>wird nie zurückgesetzt</translation>
    </message>
    <message>
        <source>A period such as monthly, weekly, 30d or 12h; never: spend never resets</source>
        <translation>Ein Zeitraum wie monatlich, wöchentlich, 30d oder 12h; nie: Ausgaben werden nie zurückgesetzt</translation>
    </message>
    <message>
        <source>Changing the period starts a fresh one from now; “never”: the budget never resets.</source>
        <translation>Ein geänderter Zeitraum beginnt ab jetzt neu; „nie“: Das Budget wird nie zurückgesetzt.</translation>
    </message>
    <message>
        <source>%1 (user&apos;s)</source>
        <translation>%1 (des Benutzers)</translation>
    </message>
    <message>
        <source>The soft limit is above the max budget: it would never warn, as calls are refused at %1. Set it lower, or switch it off.</source>
        <translation>Das Soft-Limit liegt über dem max. Budget: Es würde nie warnen, denn Aufrufe werden schon bei %1 abgelehnt. Setzen Sie es niedriger oder schalten Sie es aus.</translation>
    </message>
</context>
<context>
    <name>Tollgate::BudgetTableModel</name>
    <message>
        <source>Scope</source>
        <translation>Bereich</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>Spend</source>
        <translation>Ausgaben</translation>
    </message>
    <message>
        <source>Max budget</source>
        <translation>Max. Budget</translation>
    </message>
    <message>
        <source>Used</source>
        <translation>Verbraucht</translation>
    </message>
    <message>
        <source>Soft limit</source>
        <translation>Soft-Limit</translation>
    </message>
    <message>
        <source>Resets every</source>
        <translation>Zurücksetzen alle</translation>
    </message>
    <message>
        <source>Next reset</source>
        <translation>Nächste Zurücksetzung</translation>
    </message>
    <message>
        <source>Global</source>
        <translation>Global</translation>
    </message>
    <message>
        <source>User</source>
        <translation>Benutzer</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>Schlüssel</translation>
    </message>
    <message>
        <source>End user</source>
        <translation>Endnutzer</translation>
    </message>
    <message>
        <source>no limit</source>
        <translation>kein Limit</translation>
    </message>
    <message>
        <source>%1 (passed)</source>
        <translation>%1 (überschritten)</translation>
    </message>
    <message>
        <source>Spend passed the soft limit: a warning only, calls still go through.</source>
        <translation>Die Ausgaben haben das Soft-Limit überschritten: nur eine Warnung, Aufrufe werden weiter ausgeführt.</translation>
    </message>
    <message>
        <source>Used up: calls are refused until the budget resets or is raised.</source>
        <translation>Aufgebraucht: Aufrufe werden abgelehnt, bis das Budget zurückgesetzt oder erhöht wird.</translation>
    </message>
    <message>
        <source>Close to the max budget (soft limit or 80 % passed).</source>
        <translation>Nahe am max. Budget (Soft-Limit oder 80 % überschritten).</translation>
    </message>
    <message>
        <source>Runs out</source>
        <translation>Reicht bis</translation>
    </message>
    <message>
        <source>used up</source>
        <translation>aufgebraucht</translation>
    </message>
    <message>
        <source>At %1 a day (this period&apos;s spend so far)</source>
        <translation>Bei %1 pro Tag (Ausgaben dieses Zeitraums bisher)</translation>
    </message>
    <message>
        <source>At %1 a day (the last 7 days)</source>
        <translation>Bei %1 pro Tag (die letzten 7 Tage)</translation>
    </message>
    <message>
        <source>No max budget: it never runs out.</source>
        <translation>Kein max. Budget: Es wird nie aufgebraucht.</translation>
    </message>
    <message>
        <source>%1 the budget lasts until it resets.</source>
        <translation>%1 reicht das Budget bis zum Zurücksetzen.</translation>
    </message>
    <message>
        <source>%1 the budget does not run out.</source>
        <translation>%1 wird das Budget nicht aufgebraucht.</translation>
    </message>
    <message>
        <source>%1 the max is reached %2 (%3).</source>
        <translation>%1 ist das Maximum %2 erreicht (%3).</translation>
    </message>
</context>
<context>
    <name>Tollgate::BudgetsPage</name>
    <message>
        <source>Budgets</source>
        <translation>Budgets</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation>%1 (%2)</translation>
    </message>
    <message>
        <source>Whole gateway</source>
        <translation>Gesamtes Gateway</translation>
    </message>
    <message>
        <source>Copy name</source>
        <translation>Name kopieren</translation>
    </message>
    <message>
        <source>Copy key token</source>
        <translation>Schlüssel-Token kopieren</translation>
    </message>
    <message>
        <source>Copy id</source>
        <translation>ID kopieren</translation>
    </message>
    <message>
        <source>Copy spend and budget</source>
        <translation>Ausgaben und Budget kopieren</translation>
    </message>
    <message>
        <source>Edit &amp;global budget…</source>
        <translation>&amp;Globales Budget bearbeiten…</translation>
    </message>
    <message>
        <source>Set, change or remove the budget of the whole gateway</source>
        <translation>Das Budget des gesamten Gateways festlegen, ändern oder entfernen</translation>
    </message>
    <message>
        <source>No budgets yet. Give a key, a user or an end user a max budget on its page (or the whole gateway with “Edit global budget”) and it appears here.</source>
        <translation>Noch keine Budgets. Geben Sie einem Schlüssel, Benutzer oder Endnutzer auf seiner Seite ein max. Budget (oder dem gesamten Gateway mit „Globales Budget bearbeiten“), dann erscheint es hier.</translation>
    </message>
    <message>
        <source>A soft limit only warns. Bars turn amber at the soft limit or 80 % and red when a budget is used up.</source>
        <translation>Ein Soft-Limit warnt nur. Balken werden beim Soft-Limit oder bei 80 % orange und rot, wenn ein Budget aufgebraucht ist.</translation>
    </message>
    <message>
        <source>Strict mode: a call is let through only if its largest possible cost still fits, so no budget is ever exceeded; calls that might not fit are refused (429).</source>
        <translation>Strikter Modus: Ein Aufruf wird nur durchgelassen, wenn seine größtmöglichen Kosten noch hineinpassen, daher wird kein Budget je überschritten; Aufrufe, die nicht passen könnten, werden abgelehnt (429).</translation>
    </message>
    <message>
        <source>Reserve mode: a call is refused (429) once a budget is used up; calls already running may finish past the max by at most their own cost.</source>
        <translation>Reservierungsmodus: Ein Aufruf wird abgelehnt (429), sobald ein Budget aufgebraucht ist; bereits laufende Aufrufe können das Maximum um höchstens ihre eigenen Kosten überschreiten.</translation>
    </message>
    <message>
        <source>Calls are refused (429) once a budget is used up; depending on the budget mode (Settings), calls already running may finish past the max by at most their own cost.</source>
        <translation>Aufrufe werden abgelehnt (429), sobald ein Budget aufgebraucht ist; je nach Budgetmodus (Einstellungen) können bereits laufende Aufrufe das Maximum um höchstens ihre eigenen Kosten überschreiten.</translation>
    </message>
    <message>
        <source>Its user %1 has a budget too (%2 of %3): a call must fit both.</source>
        <translation>Sein Benutzer %1 hat ebenfalls ein Budget (%2 von %3): Ein Aufruf muss in beide passen.</translation>
    </message>
    <message>
        <source>Recent budget events</source>
        <translation>Letzte Budget-Ereignisse</translation>
    </message>
    <message>
        <source>When</source>
        <translation>Wann</translation>
    </message>
    <message>
        <source>Budget</source>
        <translation>Budget</translation>
    </message>
    <message>
        <source>Event</source>
        <translation>Ereignis</translation>
    </message>
    <message>
        <source>Key %1</source>
        <translation>Schlüssel %1</translation>
    </message>
    <message>
        <source>User %1</source>
        <translation>Benutzer %1</translation>
    </message>
    <message>
        <source>User %1 (%2)</source>
        <translation>Benutzer %1 (%2)</translation>
    </message>
    <message>
        <source>End user %1</source>
        <translation>Endnutzer %1</translation>
    </message>
    <message>
        <source>End user %1 (%2)</source>
        <translation>Endnutzer %1 (%2)</translation>
    </message>
    <message>
        <source>A deleted key</source>
        <translation>Ein gelöschter Schlüssel</translation>
    </message>
    <message>
        <source>A key&apos;s budget for model %1</source>
        <translation>Das Budget eines Schlüssels für Modell %1</translation>
    </message>
    <message>
        <source>Reset (%1 spent before)</source>
        <translation>Zurückgesetzt (vorher %1 ausgegeben)</translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation>%1 von %2</translation>
    </message>
    <message>
        <source>Soft limit passed (%1)</source>
        <translation>Soft-Limit überschritten (%1)</translation>
    </message>
    <message>
        <source>Used up, 100 % (%1)</source>
        <translation>Aufgebraucht, 100 % (%1)</translation>
    </message>
    <message>
        <source>%1 reached (%2)</source>
        <translation>%1 erreicht (%2)</translation>
    </message>
    <message>
        <source>Edit…</source>
        <translation>Bearbeiten…</translation>
    </message>
    <message>
        <source>Change the budget in its owner&apos;s dialog (key, user, end user or the whole gateway)</source>
        <translation>Das Budget im Dialog seines Besitzers ändern (Schlüssel, Benutzer, Endnutzer oder gesamtes Gateway)</translation>
    </message>
    <message>
        <source>Reset spend…</source>
        <translation>Ausgaben zurücksetzen…</translation>
    </message>
    <message>
        <source>Set the spend of this budget to 0; its period and next reset stay</source>
        <translation>Die Ausgaben dieses Budgets auf 0 setzen; Zeitraum und nächste Zurücksetzung bleiben</translation>
    </message>
    <message>
        <source>Top up…</source>
        <translation>Aufstocken…</translation>
    </message>
    <message>
        <source>Raise the max budget by an amount</source>
        <translation>Das max. Budget um einen Betrag erhöhen</translation>
    </message>
    <message>
        <source>Open owner</source>
        <translation>Besitzer öffnen</translation>
    </message>
    <message>
        <source>Show the key, user or end user on its own page</source>
        <translation>Den Schlüssel, Benutzer oder Endnutzer auf seiner Seite zeigen</translation>
    </message>
    <message>
        <source>Reset spend</source>
        <translation>Ausgaben zurücksetzen</translation>
    </message>
    <message>
        <source>Set the spend of “%1” (%2 so far) to 0? Its period and next reset stay; the spend log keeps every call.</source>
        <translation>Die Ausgaben von „%1“ (bisher %2) auf 0 setzen? Zeitraum und nächste Zurücksetzung bleiben; das Ausgabenprotokoll behält jeden Aufruf.</translation>
    </message>
    <message>
        <source>Top up</source>
        <translation>Aufstocken</translation>
    </message>
    <message>
        <source>Raise the max budget of “%1” (%2, %3 spent) by, in USD:</source>
        <translation>Das max. Budget von „%1“ (%2, %3 ausgegeben) erhöhen um (USD):</translation>
    </message>
    <message>
        <source>“%1” has no max budget. Give it one of its spend (%2) plus, in USD:</source>
        <translation>„%1“ hat kein max. Budget. Es erhält seine Ausgaben (%2) plus (USD):</translation>
    </message>
</context>
<context>
    <name>Tollgate::ColumnValues</name>
    <message>
        <source>Requests per minute: %1
Tokens per minute: %2
Parallel requests: %3</source>
        <translation>Anfragen pro Minute: %1
Tokens pro Minute: %2
Parallele Anfragen: %3</translation>
    </message>
    <message>
        <source>Spent: %1</source>
        <translation>Ausgegeben: %1</translation>
    </message>
    <message>
        <source>%1 of the max budget of %2</source>
        <translation>%1 des max. Budgets von %2</translation>
    </message>
    <message>
        <source>Soft limit: %1</source>
        <translation>Soft-Limit: %1</translation>
    </message>
    <message>
        <source>No budget: spend is not limited.</source>
        <translation>Kein Budget: Ausgaben sind nicht begrenzt.</translation>
    </message>
    <message>
        <source>Max budget: %1</source>
        <translation>Max. Budget: %1</translation>
    </message>
    <message>
        <source>Never resets</source>
        <translation>Wird nie zurückgesetzt</translation>
    </message>
    <message>
        <source>Resets %1, next on %2</source>
        <translation>Wird %1 zurückgesetzt, nächstes Mal am %2</translation>
    </message>
    <message>
        <source>Resets every %1, next on %2</source>
        <translation>Wird alle %1 zurückgesetzt, nächstes Mal am %2</translation>
    </message>
</context>
<context>
    <name>Tollgate::ConnectPage</name>
    <message>
        <source>New key for this tool…</source>
        <translation>Neuer Schlüssel für dieses Werkzeug…</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>Kopieren</translation>
    </message>
    <message>
        <source>Give each tool a key of its own: its budget, limits and spend log are then the tool&apos;s. Pick the key and the tool, and copy the set-up.</source>
        <translation>Geben Sie jedem Werkzeug einen eigenen Schlüssel: Budget, Limits und Ausgabenprotokoll gehören dann zu diesem Werkzeug. Wählen Sie Schlüssel und Werkzeug und kopieren Sie die Einrichtung.</translation>
    </message>
    <message>
        <source>No keys yet</source>
        <translation>Noch keine Schlüssel</translation>
    </message>
    <message>
        <source>Make a key for this tool; its raw key is filled into the set-up</source>
        <translation>Einen Schlüssel für dieses Werkzeug erstellen; der Schlüssel selbst wird in die Einrichtung eingesetzt</translation>
    </message>
    <message>
        <source>No model</source>
        <translation>Kein Modell</translation>
    </message>
    <message>
        <source>&amp;Key:</source>
        <translation>&amp;Schlüssel:</translation>
    </message>
    <message>
        <source>&amp;Model:</source>
        <translation>&amp;Modell:</translation>
    </message>
    <message>
        <source>This key may use no model of the gateway: change its models on the Keys page.</source>
        <translation>Dieser Schlüssel darf kein Modell des Gateways verwenden: Ändern Sie seine Modelle auf der Seite „Schlüssel“.</translation>
    </message>
    <message>
        <source>No key chosen: the set-up shows sk-… where the key goes. Make a key for this tool with “New key for this tool…”.</source>
        <translation>Kein Schlüssel gewählt: Die Einrichtung zeigt sk-…, wo der Schlüssel hingehört. Erstellen Sie mit „Neuer Schlüssel für dieses Werkzeug…“ einen Schlüssel für dieses Werkzeug.</translation>
    </message>
    <message>
        <source>The new key is filled in. Tollgate shows it only now and keeps just its hash: copy the set-up (or the key) before you leave this page.</source>
        <translation>Der neue Schlüssel ist eingesetzt. Tollgate zeigt ihn nur jetzt und speichert nur seinen Hash: Kopieren Sie die Einrichtung (oder den Schlüssel), bevor Sie diese Seite verlassen.</translation>
    </message>
    <message>
        <source>Tollgate keeps only a hash of a key, so the set-up shows sk-… in its place: paste the key “%1” you saved when it was created, or make a new key for this tool.</source>
        <translation>Tollgate speichert von einem Schlüssel nur den Hash, daher zeigt die Einrichtung sk-… an seiner Stelle: Fügen Sie den Schlüssel „%1“ ein, den Sie beim Erstellen gesichert haben, oder erstellen Sie einen neuen Schlüssel für dieses Werkzeug.</translation>
    </message>
    <message>
        <source>This key is blocked: calls with it are refused until you unblock it on the Keys page.</source>
        <translation>Dieser Schlüssel ist gesperrt: Aufrufe damit werden abgelehnt, bis Sie ihn auf der Seite „Schlüssel“ entsperren.</translation>
    </message>
    <message>
        <source>This key has expired: calls with it are refused.</source>
        <translation>Dieser Schlüssel ist abgelaufen: Aufrufe damit werden abgelehnt.</translation>
    </message>
    <message>
        <source>Run these lines in the shell that starts claude. Claude Code speaks Anthropic&apos;s Messages API; models of other providers answer it by translation.</source>
        <translation>Führen Sie diese Zeilen in der Shell aus, die claude startet. Claude Code spricht die Messages-API von Anthropic; Modelle anderer Anbieter antworten per Übersetzung.</translation>
    </message>
    <message>
        <source>Paste into ~/.codex/config.toml and export TOLLGATE_API_KEY where codex runs. Codex uses the Responses API: pick a model whose provider serves it (OpenAI, Azure, the built-in mock).</source>
        <translation>In ~/.codex/config.toml einfügen und TOLLGATE_API_KEY dort exportieren, wo codex läuft. Codex nutzt die Responses-API: Wählen Sie ein Modell, dessen Anbieter sie bedient (OpenAI, Azure, der eingebaute Mock).</translation>
    </message>
    <message>
        <source>Cursor calls a custom base URL from its own servers, so it reaches a gateway on 127.0.0.1 only through a tunnel you expose (start Tollgate with --host and keep a master key set).</source>
        <translation>Cursor ruft eine eigene Basis-URL von seinen eigenen Servern aus auf, erreicht ein Gateway auf 127.0.0.1 also nur über einen Tunnel, den Sie freigeben (Tollgate mit --host starten und einen Master-Schlüssel gesetzt lassen).</translation>
    </message>
    <message>
        <source>Add the entry to the models: list of ~/.continue/config.yaml.</source>
        <translation>Fügen Sie den Eintrag der Liste models: in ~/.continue/config.yaml hinzu.</translation>
    </message>
    <message>
        <source>Run in your project&apos;s folder. The openai/ prefix picks Aider&apos;s OpenAI-compatible client; the gateway sees the model name without it.</source>
        <translation>Im Ordner Ihres Projekts ausführen. Das Präfix openai/ wählt den OpenAI-kompatiblen Client von Aider; das Gateway sieht den Modellnamen ohne es.</translation>
    </message>
    <message>
        <source>Needs pip install openai. The Responses API needs a model whose provider serves it; chat completions work with every model.</source>
        <translation>Benötigt pip install openai. Die Responses-API braucht ein Modell, dessen Anbieter sie bedient; Chat Completions funktionieren mit jedem Modell.</translation>
    </message>
    <message>
        <source>Needs pip install anthropic. Anthropic&apos;s SDK takes the base URL without /v1.</source>
        <translation>Benötigt pip install anthropic. Das SDK von Anthropic erwartet die Basis-URL ohne /v1.</translation>
    </message>
    <message>
        <source>A quick check of the key and the model: the call shows up in the spend log.</source>
        <translation>Eine schnelle Prüfung von Schlüssel und Modell: Der Aufruf erscheint im Ausgabenprotokoll.</translation>
    </message>
    <message>
        <source>Copy the set-up for %1 to the clipboard</source>
        <translation>Die Einrichtung für %1 in die Zwischenablage kopieren</translation>
    </message>
    <message>
        <source>Copied</source>
        <translation>Kopiert</translation>
    </message>
    <message>
        <source>The set-up for %1 is on the clipboard, with the new key.</source>
        <translation>Die Einrichtung für %1 ist in der Zwischenablage, mit dem neuen Schlüssel.</translation>
    </message>
    <message>
        <source>The set-up for %1 is on the clipboard: replace sk-… with the key.</source>
        <translation>Die Einrichtung für %1 ist in der Zwischenablage: Ersetzen Sie sk-… durch den Schlüssel.</translation>
    </message>
    <message>
        <source>Connect a tool</source>
        <translation>Werkzeug verbinden</translation>
    </message>
    <message>
        <source>(blocked)</source>
        <translation>(gesperrt)</translation>
    </message>
    <message>
        <source>(expired)</source>
        <translation>(abgelaufen)</translation>
    </message>
    <message>
        <source>(budget used up)</source>
        <translation>(Budget aufgebraucht)</translation>
    </message>
    <message>
        <source>This key&apos;s budget is used up: calls with it are refused until the budget resets or is raised on the Keys page.</source>
        <translation>Das Budget dieses Schlüssels ist aufgebraucht: Aufrufe damit werden abgelehnt, bis das Budget zurückgesetzt oder auf der Seite „Schlüssel“ erhöht wird.</translation>
    </message>
    <message>
        <source>(user&apos;s budget used up)</source>
        <translation>(Budget des Benutzers aufgebraucht)</translation>
    </message>
    <message>
        <source>The budget of its user %1 is used up: calls with this key are refused until that budget resets or is raised on the Users page.</source>
        <translation>Das Budget seines Benutzers %1 ist aufgebraucht: Aufrufe mit diesem Schlüssel werden abgelehnt, bis dieses Budget zurückgesetzt oder auf der Seite „Benutzer“ erhöht wird.</translation>
    </message>
</context>
<context>
    <name>Tollgate::DashboardPage</name>
    <message>
        <source>Dashboard</source>
        <translation>Dashboard</translation>
    </message>
    <message>
        <source>Today</source>
        <translation>Heute</translation>
    </message>
    <message>
        <source>This period</source>
        <translation>Dieser Zeitraum</translation>
    </message>
    <message>
        <source>Remaining</source>
        <translation>Verbleibend</translation>
    </message>
    <message>
        <source>Burn rate</source>
        <translation>Verbrauchsrate</translation>
    </message>
    <message>
        <source>Budget runs out</source>
        <translation>Budget-Ende</translation>
    </message>
    <message>
        <source>Spend over time</source>
        <translation>Ausgaben im Zeitverlauf</translation>
    </message>
    <message>
        <source>Stack by model</source>
        <translation>Nach Modell stapeln</translation>
    </message>
    <message>
        <source>Stack by key</source>
        <translation>Nach Schlüssel stapeln</translation>
    </message>
    <message numerus="yes">
        <source>Per day, last %n day(s)</source>
        <translation>
            <numerusform>Pro Tag, letzter %n Tag</numerusform>
            <numerusform>Pro Tag, letzte %n Tage</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Per hour, last %n hour(s)</source>
        <translation>
            <numerusform>Pro Stunde, letzte %n Stunde</numerusform>
            <numerusform>Pro Stunde, letzte %n Stunden</numerusform>
        </translation>
    </message>
    <message>
        <source>No spend in this range yet. Point a tool at the gateway&apos;s base URL with a key from the Keys page, and its calls show up here within a second.</source>
        <translation>Noch keine Ausgaben in diesem Zeitraum. Richten Sie ein Tool mit einem Schlüssel von der Seite „Schlüssel“ auf die Basis-URL des Gateways; seine Aufrufe erscheinen hier innerhalb einer Sekunde.</translation>
    </message>
    <message>
        <source>Top spenders</source>
        <translation>Größte Ausgaben</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>Schlüssel</translation>
    </message>
    <message>
        <source>User</source>
        <translation>Benutzer</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modell</translation>
    </message>
    <message>
        <source>Spend</source>
        <translation>Ausgaben</translation>
    </message>
    <message>
        <source>since midnight</source>
        <translation>seit Mitternacht</translation>
    </message>
    <message>
        <source>since %1, resets %2</source>
        <translation>seit %1, Zurücksetzung %2</translation>
    </message>
    <message>
        <source>all time (the global budget does not reset)</source>
        <translation>gesamter Zeitraum (das globale Budget wird nicht zurückgesetzt)</translation>
    </message>
    <message>
        <source>of %1 (%2 used)</source>
        <translation>von %1 (%2 verbraucht)</translation>
    </message>
    <message>
        <source>over the %1 budget by %2</source>
        <translation>Budget von %1 um %2 überschritten</translation>
    </message>
    <message>
        <source>no limit</source>
        <translation>kein Limit</translation>
    </message>
    <message>
        <source>per day, over this period</source>
        <translation>pro Tag, in diesem Zeitraum</translation>
    </message>
    <message numerus="yes">
        <source>per day, over the last %n day(s)</source>
        <translation>
            <numerusform>pro Tag, im letzten %n Tag</numerusform>
            <numerusform>pro Tag, in den letzten %n Tagen</numerusform>
        </translation>
    </message>
    <message>
        <source>no global budget</source>
        <translation>kein globales Budget</translation>
    </message>
    <message>
        <source>reached</source>
        <translation>erreicht</translation>
    </message>
    <message>
        <source>calls are refused until the budget is raised or resets</source>
        <translation>Aufrufe werden abgelehnt, bis das Budget erhöht oder zurückgesetzt wird</translation>
    </message>
    <message>
        <source>not at this rate</source>
        <translation>nicht bei dieser Rate</translation>
    </message>
    <message>
        <source>the budget resets first</source>
        <translation>das Budget wird vorher zurückgesetzt</translation>
    </message>
    <message>
        <source>(none)</source>
        <translation>(ohne)</translation>
    </message>
    <message>
        <source>no spend yet</source>
        <translation>noch keine Ausgaben</translation>
    </message>
    <message>
        <source>no global budget — set one on the Budgets page (Whole gateway)</source>
        <translation>kein globales Budget — legen Sie eines auf der Seite „Budgets“ fest (Gesamtes Gateway)</translation>
    </message>
    <message numerus="yes">
        <source>Last %n hour(s), as in the chart</source>
        <translation>
            <numerusform>Letzte %n Stunde, wie im Diagramm</numerusform>
            <numerusform>Letzte %n Stunden, wie im Diagramm</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Last %n day(s), as in the chart</source>
        <translation>
            <numerusform>Letzter %n Tag, wie im Diagramm</numerusform>
            <numerusform>Letzte %n Tage, wie im Diagramm</numerusform>
        </translation>
    </message>
    <message>
        <source>%1, %2–%3</source>
        <translation>%1, %2–%3</translation>
    </message>
    <message>
        <source>waiting for the gateway to answer</source>
        <translation>warten auf die Antwort des Gateways</translation>
    </message>
</context>
<context>
    <name>Tollgate::Desktop</name>
    <message>
        <source>general_settings.master_key in config.yaml</source>
        <translation>general_settings.master_key in config.yaml</translation>
    </message>
    <message>
        <source>the OS keychain</source>
        <translation>dem Schlüsselbund des Betriebssystems</translation>
    </message>
    <message>
        <source>the file %1 (no keychain available)</source>
        <translation>der Datei %1 (kein Schlüsselbund verfügbar)</translation>
    </message>
    <message>
        <source>Configuration error</source>
        <translation>Konfigurationsfehler</translation>
    </message>
    <message>
        <source>Settings error</source>
        <translation>Einstellungsfehler</translation>
    </message>
    <message>
        <source>Master key</source>
        <translation>Master-Schlüssel</translation>
    </message>
    <message>
        <source>Database error</source>
        <translation>Datenbankfehler</translation>
    </message>
    <message>
        <source>Cannot open the database %1: %2</source>
        <translation>Die Datenbank %1 kann nicht geöffnet werden: %2</translation>
    </message>
    <message>
        <source>Port %1 is not available (%2); the gateway listens on a free port instead. Change the port in Settings.</source>
        <translation>Port %1 ist nicht verfügbar (%2); das Gateway lauscht stattdessen auf einem freien Port. Ändern Sie den Port in den Einstellungen.</translation>
    </message>
    <message>
        <source>Gateway error</source>
        <translation>Gateway-Fehler</translation>
    </message>
    <message>
        <source>The gateway was not restarted: %1</source>
        <translation>Das Gateway wurde nicht neu gestartet: %1</translation>
    </message>
    <message>
        <source>the new config.yaml sets no master key; restart Tollgate to take one from the keychain</source>
        <translation>die neue config.yaml legt keinen Master-Schlüssel fest; starten Sie Tollgate neu, um einen aus dem Schlüsselbund zu übernehmen</translation>
    </message>
    <message>
        <source>The gateway could not be started again.</source>
        <translation>Das Gateway konnte nicht wieder gestartet werden.</translation>
    </message>
    <message>
        <source>Gateway restarted: listening on %1.</source>
        <translation>Gateway neu gestartet: lauscht auf %1.</translation>
    </message>
    <message>
        <source>The master key was not rotated: %1</source>
        <translation>Der Master-Schlüssel wurde nicht ausgetauscht: %1</translation>
    </message>
    <message>
        <source>New master key in use, kept in %1. The old key is refused from now on: give programs that used it the new one.</source>
        <translation>Neuer Master-Schlüssel in Gebrauch, abgelegt in %1. Der alte Schlüssel wird ab sofort abgewiesen: Geben Sie Programmen, die ihn verwendet haben, den neuen.</translation>
    </message>
    <message>
        <source>The remote gateway&apos;s address in the settings is not usable (%1): Tollgate manages the gateway on this computer instead.</source>
        <translation>Die Adresse des entfernten Gateways in den Einstellungen ist nicht verwendbar (%1): Tollgate verwaltet stattdessen das Gateway auf diesem Computer.</translation>
    </message>
    <message>
        <source>No master key for the remote gateway is stored on this computer: enter it in Settings → Gateway to manage.</source>
        <translation>Für das entfernte Gateway ist auf diesem Computer kein Master-Schlüssel gespeichert: Geben Sie ihn unter Einstellungen → Verwaltetes Gateway ein.</translation>
    </message>
    <message>
        <source>No keychain answered, so the remote gateway&apos;s master key is kept in a file only you can read: %1.</source>
        <translation>Kein Schlüsselbund hat geantwortet, daher liegt der Master-Schlüssel des entfernten Gateways in einer Datei, die nur Sie lesen können: %1.</translation>
    </message>
    <message>
        <source>Now managing the remote gateway at %1. The gateway on this computer is stopped.</source>
        <translation>Tollgate verwaltet jetzt das entfernte Gateway unter %1. Das Gateway auf diesem Computer ist gestoppt.</translation>
    </message>
    <message>
        <source>Now managing the remote gateway at %1.</source>
        <translation>Tollgate verwaltet jetzt das entfernte Gateway unter %1.</translation>
    </message>
    <message>
        <source>The gateway on this computer runs again: listening on %1.</source>
        <translation>Das Gateway auf diesem Computer läuft wieder: es lauscht auf %1.</translation>
    </message>
    <message>
        <source>The gateway on this computer cannot start (%1): fix it before you switch back to it in Settings.</source>
        <translation>Das Gateway auf diesem Computer kann nicht starten (%1): Beheben Sie das, bevor Sie in den Einstellungen wieder zu ihm wechseln.</translation>
    </message>
</context>
<context>
    <name>Tollgate::DialogFields</name>
    <message>
        <source>Models: %1</source>
        <translation>Modelle: %1</translation>
    </message>
    <message>
        <source>Models: %1
Access groups: %2</source>
        <translation>Modelle: %1
Zugriffsgruppen: %2</translation>
    </message>
</context>
<context>
    <name>Tollgate::EndUserDialog</name>
    <message>
        <source>New end user</source>
        <translation>Neuer Endnutzer</translation>
    </message>
    <message>
        <source>End user ID:</source>
        <translation>Endnutzer-ID:</translation>
    </message>
    <message>
        <source>the “user” field your app sends</source>
        <translation>das Feld „user“, das Ihre App sendet</translation>
    </message>
    <message>
        <source>The value of the “user” field in the calls of your app. Cannot be changed later.</source>
        <translation>Der Wert des Felds „user“ in den Aufrufen Ihrer App. Kann später nicht geändert werden.</translation>
    </message>
    <message>
        <source>Alias:</source>
        <translation>Alias:</translation>
    </message>
    <message>
        <source>optional</source>
        <translation>optional</translation>
    </message>
    <message>
        <source>Blocked: refuse calls naming this end user</source>
        <translation>Gesperrt: Aufrufe mit diesem Endnutzer ablehnen</translation>
    </message>
    <message>
        <source>Create end user</source>
        <translation>Endnutzer anlegen</translation>
    </message>
    <message>
        <source>Edit end user %1</source>
        <translation>Endnutzer %1 bearbeiten</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Speichern</translation>
    </message>
    <message>
        <source>The id cannot be changed</source>
        <translation>Die ID kann nicht geändert werden</translation>
    </message>
</context>
<context>
    <name>Tollgate::EndUserTableModel</name>
    <message>
        <source>End user</source>
        <translation>Endnutzer</translation>
    </message>
    <message>
        <source>Alias</source>
        <translation>Alias</translation>
    </message>
    <message>
        <source>Spend</source>
        <translation>Ausgaben</translation>
    </message>
    <message>
        <source>Max budget</source>
        <translation>Max. Budget</translation>
    </message>
    <message>
        <source>RPM / TPM / Parallel</source>
        <translation>RPM / TPM / Parallel</translation>
    </message>
    <message>
        <source>Blocked</source>
        <translation>Gesperrt</translation>
    </message>
    <message>
        <source>Requests per minute, tokens per minute and parallel requests allowed (— = no limit)</source>
        <translation>Erlaubte Anfragen pro Minute, Tokens pro Minute und parallele Anfragen (— = kein Limit)</translation>
    </message>
    <message>
        <source>First seen %1</source>
        <translation>Erstmals gesehen am %1</translation>
    </message>
    <message>
        <source>No budget of its own (the default end-user budget applies, if set)</source>
        <translation>Kein eigenes Budget (es gilt das Standard-Endnutzerbudget, falls festgelegt)</translation>
    </message>
    <message>
        <source>Blocked: calls naming this end user are refused.</source>
        <translation>Gesperrt: Aufrufe mit diesem Endnutzer werden abgelehnt.</translation>
    </message>
</context>
<context>
    <name>Tollgate::EndUsersPage</name>
    <message>
        <source>End users</source>
        <translation>Endnutzer</translation>
    </message>
    <message>
        <source>New end user</source>
        <translation>Neuer Endnutzer</translation>
    </message>
    <message>
        <source>Edit…</source>
        <translation>Bearbeiten…</translation>
    </message>
    <message>
        <source>Block</source>
        <translation>Sperren</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>Löschen…</translation>
    </message>
    <message>
        <source>Search end users…</source>
        <translation>Endnutzer suchen…</translation>
    </message>
    <message>
        <source>No end users yet. They appear when a call names one in its “user” field; press “New end user” to set a budget or block one ahead of time.</source>
        <translation>Noch keine Endnutzer. Sie erscheinen, sobald ein Aufruf einen im Feld „user“ nennt; klicken Sie auf „Neuer Endnutzer“, um vorab ein Budget festzulegen oder einen zu sperren.</translation>
    </message>
    <message>
        <source>Unblock</source>
        <translation>Entsperren</translation>
    </message>
    <message>
        <source>Block end user</source>
        <translation>Endnutzer sperren</translation>
    </message>
    <message>
        <source>Block the end user “%1”? Calls naming them are refused until you unblock them.</source>
        <translation>Endnutzer „%1“ sperren? Aufrufe mit diesem Endnutzer werden abgelehnt, bis Sie ihn entsperren.</translation>
    </message>
    <message>
        <source>Delete end user</source>
        <translation>Endnutzer löschen</translation>
    </message>
    <message>
        <source>Delete the end user “%1” with their budget and limits? A later call naming them creates them again, with the default budget. Their spend stays in the spend log.</source>
        <translation>Endnutzer „%1“ mit Budget und Limits löschen? Ein späterer Aufruf mit diesem Endnutzer legt ihn mit dem Standardbudget neu an. Seine Ausgaben bleiben im Ausgabenprotokoll.</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Löschen</translation>
    </message>
    <message>
        <source>End user “%1” deleted.</source>
        <translation>Endnutzer „%1“ gelöscht.</translation>
    </message>
</context>
<context>
    <name>Tollgate::Format</name>
    <message>
        <source>never</source>
        <translation>nie</translation>
    </message>
    <message>
        <source>expired</source>
        <translation>abgelaufen</translation>
    </message>
    <message>
        <source>due</source>
        <translation>fällig</translation>
    </message>
    <message>
        <source>in %1 d %2 h</source>
        <translation>in %1 T. %2 Std.</translation>
    </message>
    <message>
        <source>in %1 h %2 min</source>
        <translation>in %1 Std. %2 Min.</translation>
    </message>
    <message>
        <source>in %1 min %2 s</source>
        <translation>in %1 Min. %2 Sek.</translation>
    </message>
    <message>
        <source>in %1 s</source>
        <translation>in %1 Sek.</translation>
    </message>
    <message>
        <source>all models</source>
        <translation>alle Modelle</translation>
    </message>
    <message>
        <source>daily</source>
        <translation>täglich</translation>
    </message>
    <message>
        <source>weekly</source>
        <translation>wöchentlich</translation>
    </message>
    <message>
        <source>monthly</source>
        <translation>monatlich</translation>
    </message>
    <message>
        <source>yearly</source>
        <translation>jährlich</translation>
    </message>
</context>
<context>
    <name>Tollgate::GatewayStatus</name>
    <message>
        <source>The global budget</source>
        <translation>Das globale Budget</translation>
    </message>
    <message>
        <source>The budget of user %1</source>
        <translation>Das Budget des Benutzers %1</translation>
    </message>
    <message>
        <source>The budget of end user %1</source>
        <translation>Das Budget des Endnutzers %1</translation>
    </message>
    <message>
        <source>A key&apos;s budget for model %1</source>
        <translation>Das Budget eines Schlüssels für Modell %1</translation>
    </message>
    <message>
        <source>The budget of %1 %2</source>
        <translation>Das Budget von %1 %2</translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation>%1 von %2</translation>
    </message>
    <message>
        <source>%1 passed its soft limit (%2).</source>
        <translation>%1 hat sein Soft-Limit überschritten (%2).</translation>
    </message>
    <message>
        <source>%1 is used up (%2).</source>
        <translation>%1 ist aufgebraucht (%2).</translation>
    </message>
    <message>
        <source>%1 passed %2 (%3).</source>
        <translation>%1 hat %2 überschritten (%3).</translation>
    </message>
    <message>
        <source>not reachable</source>
        <translation>nicht erreichbar</translation>
    </message>
    <message>
        <source>paused</source>
        <translation>angehalten</translation>
    </message>
    <message>
        <source>running</source>
        <translation>läuft</translation>
    </message>
    <message>
        <source>The budget of a deleted key</source>
        <translation>Das Budget eines gelöschten Schlüssels</translation>
    </message>
    <message>
        <source>The budget of key %1</source>
        <translation>Das Budget des Schlüssels %1</translation>
    </message>
</context>
<context>
    <name>Tollgate::GlobalBudgetDialog</name>
    <message>
        <source>&amp;Limit the spend of the whole gateway</source>
        <translation>Ausgaben des gesamten Gateways &amp;begrenzen</translation>
    </message>
    <message>
        <source>Global budget</source>
        <translation>Globales Budget</translation>
    </message>
    <message>
        <source>The global budget caps the spend of the whole gateway, whatever the key. When it is used up, calls are refused until it resets.</source>
        <translation>Das globale Budget begrenzt die Ausgaben des gesamten Gateways, mit welchem Schlüssel auch immer. Ist es aufgebraucht, werden Aufrufe abgelehnt, bis es zurückgesetzt wird.</translation>
    </message>
    <message>
        <source>&amp;Max budget</source>
        <translation>&amp;Max. Budget</translation>
    </message>
    <message>
        <source>never resets</source>
        <translation>wird nie zurückgesetzt</translation>
    </message>
    <message>
        <source>&amp;Resets every</source>
        <translation>&amp;Zurücksetzen alle</translation>
    </message>
</context>
<context>
    <name>Tollgate::IdentityLists</name>
    <message>
        <source>Master key</source>
        <translation>Master-Schlüssel</translation>
    </message>
    <message>
        <source>No key (open access)</source>
        <translation>Kein Schlüssel (offener Zugang)</translation>
    </message>
    <message>
        <source>Deleted key %1…</source>
        <translation>Gelöschter Schlüssel %1…</translation>
    </message>
    <message>
        <source>Master key (previous)</source>
        <translation>Master-Schlüssel (früherer)</translation>
    </message>
</context>
<context>
    <name>Tollgate::KeyCreatedDialog</name>
    <message>
        <source>Key created</source>
        <translation>Schlüssel erstellt</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>Kopieren</translation>
    </message>
    <message>
        <source>Copy the key now: it will not be shown again. Tollgate keeps only a hash of it, so a lost key cannot be recovered, only regenerated.</source>
        <translation>Kopieren Sie den Schlüssel jetzt: Er wird nicht erneut angezeigt. Tollgate speichert nur einen Hash davon; ein verlorener Schlüssel kann daher nicht wiederhergestellt, nur neu erzeugt werden.</translation>
    </message>
    <message>
        <source>Key regenerated</source>
        <translation>Schlüssel neu erzeugt</translation>
    </message>
    <message>
        <source>The new key for “%1”. The old key no longer works: give this one to whoever used it.</source>
        <translation>Der neue Schlüssel für „%1“. Der alte Schlüssel funktioniert nicht mehr: Geben Sie diesen an alle weiter, die ihn verwendet haben.</translation>
    </message>
    <message>
        <source>The key “%1”:</source>
        <translation>Der Schlüssel „%1“:</translation>
    </message>
    <message>
        <source>Copied</source>
        <translation>Kopiert</translation>
    </message>
    <message>
        <source>Connect a tool…</source>
        <translation>Werkzeug verbinden…</translation>
    </message>
    <message>
        <source>Open a ready set-up for Claude Code, Codex, Cursor and others, with this key filled in</source>
        <translation>Eine fertige Einrichtung für Claude Code, Codex, Cursor und andere öffnen, mit diesem Schlüssel</translation>
    </message>
</context>
<context>
    <name>Tollgate::KeyDialog</name>
    <message>
        <source>New key</source>
        <translation>Neuer Schlüssel</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>Name:</translation>
    </message>
    <message>
        <source>e.g. ci-pipeline or alice-laptop</source>
        <translation>z. B. ci-pipeline oder alice-laptop</translation>
    </message>
    <message>
        <source>The key&apos;s alias: how lists and the spend log name it. Unique.</source>
        <translation>Der Alias des Schlüssels: So wird er in Listen und im Ausgabenprotokoll angezeigt. Eindeutig.</translation>
    </message>
    <message>
        <source>Owner user:</source>
        <translation>Besitzer:</translation>
    </message>
    <message>
        <source>none</source>
        <translation>keiner</translation>
    </message>
    <message>
        <source>The user the key belongs to: the user&apos;s models, budget and limits apply too. A user that does not exist yet is created.</source>
        <translation>Der Benutzer, dem der Schlüssel gehört: Dessen Modelle, Budget und Limits gelten ebenfalls. Ein noch nicht vorhandener Benutzer wird angelegt.</translation>
    </message>
    <message>
        <source>Models:</source>
        <translation>Modelle:</translation>
    </message>
    <message>
        <source>all models</source>
        <translation>alle Modelle</translation>
    </message>
    <message>
        <source>Model names or access groups, separated by commas; empty: every model</source>
        <translation>Modellnamen oder Zugriffsgruppen, durch Kommas getrennt; leer: alle Modelle</translation>
    </message>
    <message>
        <source>Expires after:</source>
        <translation>Läuft ab nach:</translation>
    </message>
    <message>
        <source>A period from now such as 30d or 12h; empty: the key never expires</source>
        <translation>Ein Zeitraum ab jetzt wie 30d oder 12h; leer: Der Schlüssel läuft nie ab</translation>
    </message>
    <message>
        <source>never</source>
        <translation>nie</translation>
    </message>
    <message>
        <source>Create key</source>
        <translation>Schlüssel erstellen</translation>
    </message>
    <message>
        <source>Edit key %1</source>
        <translation>Schlüssel %1 bearbeiten</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Speichern</translation>
    </message>
    <message>
        <source>New expiry:</source>
        <translation>Neuer Ablauf:</translation>
    </message>
    <message>
        <source>unchanged (%1)</source>
        <translation>unverändert (%1)</translation>
    </message>
    <message>
        <source>unchanged (never)</source>
        <translation>unverändert (nie)</translation>
    </message>
    <message>
        <source>A period from now such as 30d; empty: the expiry stays as it is</source>
        <translation>Ein Zeitraum ab jetzt wie 30d; leer: Der Ablauf bleibt unverändert</translation>
    </message>
    <message>
        <source>%1 (user&apos;s)</source>
        <translation>%1 (des Benutzers)</translation>
    </message>
    <message>
        <source>There is no user “%1”: a new user of that name will be created, without a budget.</source>
        <translation>Es gibt keinen Benutzer „%1“: Ein neuer Benutzer dieses Namens wird angelegt, ohne Budget.</translation>
    </message>
    <message>
        <source>Create key and user</source>
        <translation>Schlüssel und Benutzer erstellen</translation>
    </message>
    <message>
        <source>Save and create user</source>
        <translation>Speichern und Benutzer anlegen</translation>
    </message>
    <message>
        <source>none: shown as %1</source>
        <translation>keiner: angezeigt als %1</translation>
    </message>
    <message>
        <source>Not a model or access group of this gateway: %1. Names must match exactly; “*” stands for every model.</source>
        <translation>Kein Modell und keine Zugriffsgruppe dieses Gateways: %1. Namen müssen genau übereinstimmen; „*“ steht für alle Modelle.</translation>
    </message>
</context>
<context>
    <name>Tollgate::KeyTableModel</name>
    <message>
        <source>Key</source>
        <translation>Schlüssel</translation>
    </message>
    <message>
        <source>Owner</source>
        <translation>Besitzer</translation>
    </message>
    <message>
        <source>Models</source>
        <translation>Modelle</translation>
    </message>
    <message>
        <source>Spend</source>
        <translation>Ausgaben</translation>
    </message>
    <message>
        <source>Max budget</source>
        <translation>Max. Budget</translation>
    </message>
    <message>
        <source>Budget reset</source>
        <translation>Budget-Zurücksetzung</translation>
    </message>
    <message>
        <source>RPM / TPM / Parallel</source>
        <translation>RPM / TPM / Parallel</translation>
    </message>
    <message>
        <source>Expires</source>
        <translation>Läuft ab</translation>
    </message>
    <message>
        <source>Blocked</source>
        <translation>Gesperrt</translation>
    </message>
    <message>
        <source>Requests per minute, tokens per minute and parallel requests allowed (— = no limit)</source>
        <translation>Erlaubte Anfragen pro Minute, Tokens pro Minute und parallele Anfragen (— = kein Limit)</translation>
    </message>
    <message>
        <source>%1
Created %2</source>
        <translation>%1
Erstellt am %2</translation>
    </message>
    <message>
        <source>%1
Created %2 by %3</source>
        <translation>%1
Erstellt am %2 von %3</translation>
    </message>
    <message>
        <source>No owner: only the key&apos;s own models and limits apply.</source>
        <translation>Kein Besitzer: Es gelten nur die eigenen Modelle und Limits des Schlüssels.</translation>
    </message>
    <message>
        <source>The user&apos;s models and budget apply to this key too.</source>
        <translation>Die Modelle und das Budget des Benutzers gelten auch für diesen Schlüssel.</translation>
    </message>
    <message>
        <source>Every model (or the owner&apos;s models, when the owner has a list)</source>
        <translation>Alle Modelle (bzw. die Modelle des Besitzers, falls dieser eine Liste hat)</translation>
    </message>
    <message>
        <source>Expired on %1: calls with this key are refused.</source>
        <translation>Abgelaufen am %1: Aufrufe mit diesem Schlüssel werden abgelehnt.</translation>
    </message>
    <message>
        <source>This key does not expire.</source>
        <translation>Dieser Schlüssel läuft nicht ab.</translation>
    </message>
    <message>
        <source>Blocked: calls with this key are refused until it is unblocked.</source>
        <translation>Gesperrt: Aufrufe mit diesem Schlüssel werden abgelehnt, bis er entsperrt wird.</translation>
    </message>
    <message>
        <source>The budget of its user %1 applies too: %2 of %3 spent. A call must fit both.</source>
        <translation>Das Budget seines Benutzers %1 gilt ebenfalls: %2 von %3 ausgegeben. Ein Aufruf muss in beide passen.</translation>
    </message>
    <message>
        <source>%1 (user&apos;s)</source>
        <translation>%1 (des Benutzers)</translation>
    </message>
    <message>
        <source>Over budget: calls with this key are refused until the budget resets or is raised.</source>
        <translation>Budget überschritten: Aufrufe mit diesem Schlüssel werden abgelehnt, bis das Budget zurückgesetzt oder erhöht wird.</translation>
    </message>
    <message>
        <source>The limits of its user %1 apply too, to all their keys together:</source>
        <translation>Die Limits seines Benutzers %1 gelten ebenfalls, für alle seine Schlüssel zusammen:</translation>
    </message>
</context>
<context>
    <name>Tollgate::KeysPage</name>
    <message>
        <source>Keys</source>
        <translation>Schlüssel</translation>
    </message>
    <message>
        <source>New key</source>
        <translation>Neuer Schlüssel</translation>
    </message>
    <message>
        <source>Edit…</source>
        <translation>Bearbeiten…</translation>
    </message>
    <message>
        <source>Block</source>
        <translation>Sperren</translation>
    </message>
    <message>
        <source>Regenerate…</source>
        <translation>Neu erzeugen…</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>Löschen…</translation>
    </message>
    <message>
        <source>Search keys, owners, models…</source>
        <translation>Schlüssel, Besitzer, Modelle suchen…</translation>
    </message>
    <message>
        <source>No keys yet. Press “New key” to hand one out.</source>
        <translation>Noch keine Schlüssel. Klicken Sie auf „Neuer Schlüssel“, um einen auszugeben.</translation>
    </message>
    <message>
        <source>Unblock</source>
        <translation>Entsperren</translation>
    </message>
    <message>
        <source>Block key</source>
        <translation>Schlüssel sperren</translation>
    </message>
    <message>
        <source>Block the key “%1”? Programs using it are refused until you unblock it.</source>
        <translation>Schlüssel „%1“ sperren? Programme, die ihn verwenden, werden abgelehnt, bis Sie ihn entsperren.</translation>
    </message>
    <message>
        <source>Regenerate key</source>
        <translation>Schlüssel neu erzeugen</translation>
    </message>
    <message>
        <source>Regenerate the key “%1”? The current key stops working at once; its settings and spend carry over to the new one.</source>
        <translation>Schlüssel „%1“ neu erzeugen? Der aktuelle Schlüssel funktioniert sofort nicht mehr; Einstellungen und Ausgaben gehen auf den neuen über.</translation>
    </message>
    <message>
        <source>Regenerate</source>
        <translation>Neu erzeugen</translation>
    </message>
    <message>
        <source>Delete key</source>
        <translation>Schlüssel löschen</translation>
    </message>
    <message>
        <source>Delete the key “%1”? Programs using it are refused from their next call. Its spend stays in the spend log.</source>
        <translation>Schlüssel „%1“ löschen? Programme, die ihn verwenden, werden ab ihrem nächsten Aufruf abgelehnt. Seine Ausgaben bleiben im Ausgabenprotokoll.</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Löschen</translation>
    </message>
    <message>
        <source>Key “%1” deleted.</source>
        <translation>Schlüssel „%1“ gelöscht.</translation>
    </message>
</context>
<context>
    <name>Tollgate::MainWindow</name>
    <message>
        <source>Tollgate</source>
        <translation>Tollgate</translation>
    </message>
    <message>
        <source>Copy base URL</source>
        <translation>Basis-URL kopieren</translation>
    </message>
    <message>
        <source>Copy %1 to the clipboard</source>
        <translation>%1 in die Zwischenablage kopieren</translation>
    </message>
    <message>
        <source>Base URL</source>
        <translation>Basis-URL</translation>
    </message>
    <message>
        <source>Copy environment</source>
        <translation>Umgebung kopieren</translation>
    </message>
    <message>
        <source>Copy OPENAI_BASE_URL and OPENAI_API_KEY as shell exports</source>
        <translation>OPENAI_BASE_URL und OPENAI_API_KEY als Shell-Exporte kopieren</translation>
    </message>
    <message>
        <source>%1 copied to the clipboard.</source>
        <translation>%1 in die Zwischenablage kopiert.</translation>
    </message>
    <message>
        <source>Welcome to Tollgate. A master key was created and kept in %1. Point your tools at %2 (“Copy environment” gives both), or hand out keys with limits on the Keys page.</source>
        <translation>Willkommen bei Tollgate. Ein Master-Schlüssel wurde erstellt und in %1 abgelegt. Richten Sie Ihre Werkzeuge auf %2 aus („Umgebung kopieren“ liefert beides) oder vergeben Sie auf der Seite „Schlüssel“ Schlüssel mit Limits.</translation>
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
        <source>&amp;Edit</source>
        <translation>&amp;Bearbeiten</translation>
    </message>
    <message>
        <source>&amp;Find</source>
        <translation>&amp;Suchen</translation>
    </message>
    <message>
        <source>Go to the page&apos;s search field</source>
        <translation>Zum Suchfeld der Seite</translation>
    </message>
    <message>
        <source>&amp;Go</source>
        <translation>&amp;Gehe zu</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>&amp;Hilfe</translation>
    </message>
    <message>
        <source>API &amp;documentation</source>
        <translation>API-&amp;Dokumentation</translation>
    </message>
    <message>
        <source>Open the gateway&apos;s API reference (Swagger UI) in the browser</source>
        <translation>Die API-Referenz des Gateways (Swagger UI) im Browser öffnen</translation>
    </message>
    <message>
        <source>&amp;About Tollgate</source>
        <translation>Ü&amp;ber Tollgate</translation>
    </message>
    <message>
        <source>About &amp;Qt</source>
        <translation>Über &amp;Qt</translation>
    </message>
    <message>
        <source>About Tollgate</source>
        <translation>Über Tollgate</translation>
    </message>
    <message>
        <source># The master key: admin rights, capped only by the global budget. For a tool, make a key with limits on the Keys page.
</source>
        <translation># Der Master-Schlüssel: Administratorrechte, begrenzt nur durch das globale Budget. Erstellen Sie für ein Werkzeug auf der Seite „Schlüssel“ einen Schlüssel mit Limits.
</translation>
    </message>
    <message>
        <source>Copy OPENAI_BASE_URL and OPENAI_API_KEY as shell exports, with the master key</source>
        <translation>OPENAI_BASE_URL und OPENAI_API_KEY als Shell-Exporte kopieren, mit dem Master-Schlüssel</translation>
    </message>
    <message>
        <source>Environment snippet copied to the clipboard.</source>
        <translation>Umgebungsvariablen in die Zwischenablage kopiert.</translation>
    </message>
    <message>
        <source>Environment snippet copied to the clipboard. It holds the master key: admin rights, capped only by the global budget. For a tool, make a key with limits on the Keys page.</source>
        <translation>Umgebungsvariablen in die Zwischenablage kopiert. Sie enthalten den Master-Schlüssel: Administratorrechte, begrenzt nur durch das globale Budget. Erstellen Sie für ein Werkzeug auf der Seite „Schlüssel“ einen Schlüssel mit Limits.</translation>
    </message>
    <message>
        <source>&lt;b&gt;Waiting for the keychain…&lt;/b&gt; The gateway starts once the master key is known; if the keychain asks for a password, answer its dialog.</source>
        <translation>&lt;b&gt;Warten auf den Schlüsselbund …&lt;/b&gt; Das Gateway startet, sobald der Master-Schlüssel bekannt ist; fragt der Schlüsselbund nach einem Passwort, beantworten Sie seinen Dialog.</translation>
    </message>
    <message>
        <source>Stopped</source>
        <translation>Gestoppt</translation>
    </message>
    <message>
        <source>The gateway does not answer: tools cannot reach it until it runs again.</source>
        <translation>Das Gateway antwortet nicht: Werkzeuge erreichen es erst wieder, wenn es läuft.</translation>
    </message>
    <message>
        <source>Paused</source>
        <translation>Pausiert</translation>
    </message>
    <message>
        <source>LLM calls are refused until the gateway is resumed (Settings or the tray).</source>
        <translation>LLM-Aufrufe werden abgelehnt, bis das Gateway fortgesetzt wird (Einstellungen oder Infobereich).</translation>
    </message>
    <message>
        <source>Running</source>
        <translation>Läuft</translation>
    </message>
    <message>
        <source>The gateway serves LLM calls.</source>
        <translation>Das Gateway bedient LLM-Aufrufe.</translation>
    </message>
    <message>
        <source>Gateway: %1</source>
        <translation>Gateway: %1</translation>
    </message>
    <message>
        <source>at %1</source>
        <translation>unter %1</translation>
    </message>
    <message>
        <source>Gateway listening on %1</source>
        <translation>Gateway lauscht auf %1</translation>
    </message>
    <message>
        <source>Not reachable</source>
        <translation>Nicht erreichbar</translation>
    </message>
    <message>
        <source>The remote gateway does not answer (or refuses the master key): the window keeps trying. Check the address and the key in Settings.</source>
        <translation>Das entfernte Gateway antwortet nicht (oder lehnt den Master-Schlüssel ab): Das Fenster versucht es weiter. Prüfen Sie Adresse und Schlüssel in den Einstellungen.</translation>
    </message>
    <message>
        <source>remote gateway at %1</source>
        <translation>entferntes Gateway unter %1</translation>
    </message>
    <message>
        <source>Remote gateway at %1</source>
        <translation>Entferntes Gateway unter %1</translation>
    </message>
    <message>
        <source>&lt;h3&gt;Tollgate %1&lt;/h3&gt;&lt;p&gt;A local gateway for LLM APIs: keys, budgets and rate limits for the tools of a team, OpenAI- and LiteLLM-compatible.&lt;/p&gt;&lt;p&gt;%2&lt;/p&gt;</source>
        <translation>&lt;h3&gt;Tollgate %1&lt;/h3&gt;&lt;p&gt;Ein lokales Gateway für LLM-APIs: Schlüssel, Budgets und Ratenlimits für die Werkzeuge eines Teams, kompatibel mit OpenAI und LiteLLM.&lt;/p&gt;&lt;p&gt;%2&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Managing the remote gateway at %1</source>
        <translation>Verwaltet das entfernte Gateway unter %1</translation>
    </message>
    <message>
        <source>Listening on %1</source>
        <translation>Lauscht auf %1</translation>
    </message>
</context>
<context>
    <name>Tollgate::MasterKey</name>
    <message>
        <source>Tollgate found no keychain on this computer, so it keeps its master key in a file only you can read: %1. Once a keychain is available, Tollgate moves the key there by itself.</source>
        <translation>Tollgate hat auf diesem Computer keinen Schlüsselbund gefunden und bewahrt den Master-Schlüssel deshalb in einer Datei auf, die nur Sie lesen können: %1. Sobald ein Schlüsselbund verfügbar ist, verschiebt Tollgate den Schlüssel selbst dorthin.</translation>
    </message>
    <message>
        <source>The keychain did not answer in time, so Tollgate keeps its master key in a file only you can read: %1. Once the keychain answers, Tollgate moves the key there by itself.</source>
        <translation>Der Schlüsselbund hat nicht rechtzeitig geantwortet, daher bewahrt Tollgate seinen Master-Schlüssel in einer Datei auf, die nur Sie lesen können: %1. Sobald der Schlüsselbund antwortet, verschiebt Tollgate den Schlüssel selbst dorthin.</translation>
    </message>
</context>
<context>
    <name>Tollgate::ModelDialog</name>
    <message>
        <source>Add model</source>
        <translation>Modell hinzufügen</translation>
    </message>
    <message>
        <source>Model name:</source>
        <translation>Modellname:</translation>
    </message>
    <message>
        <source>e.g. gpt-4o or team-chat</source>
        <translation>z. B. gpt-4o oder team-chat</translation>
    </message>
    <message>
        <source>The name clients send as &quot;model&quot;. Several deployments may share a name: calls rotate between them.</source>
        <translation>Der Name, den Clients als &quot;model&quot; senden. Mehrere Deployments können denselben Namen haben: Aufrufe werden reihum verteilt.</translation>
    </message>
    <message>
        <source>Provider model:</source>
        <translation>Anbietermodell:</translation>
    </message>
    <message>
        <source>e.g. openai/gpt-4o</source>
        <translation>z. B. openai/gpt-4o</translation>
    </message>
    <message>
        <source>litellm_params.model: the provider prefix (openai/, azure/, mock/) and the provider&apos;s model name.</source>
        <translation>litellm_params.model: das Anbieterpräfix (openai/, azure/, mock/) und der Modellname beim Anbieter.</translation>
    </message>
    <message>
        <source>API base:</source>
        <translation>API-Basis:</translation>
    </message>
    <message>
        <source>e.g. https://api.openai.com/v1 (optional)</source>
        <translation>z. B. https://api.openai.com/v1 (optional)</translation>
    </message>
    <message>
        <source>The provider&apos;s base URL (litellm_params.api_base). Needed for azure/; empty for openai/ means OpenAI&apos;s.</source>
        <translation>Die Basis-URL des Anbieters (litellm_params.api_base). Erforderlich für azure/; leer bei openai/ bedeutet die von OpenAI.</translation>
    </message>
    <message>
        <source>API key:</source>
        <translation>API-Schlüssel:</translation>
    </message>
    <message>
        <source>the provider&apos;s key (optional)</source>
        <translation>der Schlüssel des Anbieters (optional)</translation>
    </message>
    <message>
        <source>Kept in the OS keychain by the gateway, never in its database. To read it from the environment, add the model to config.yaml with os.environ/NAME.</source>
        <translation>Wird vom Gateway im Schlüsselbund des Betriebssystems gespeichert, nie in seiner Datenbank. Um ihn aus der Umgebung zu lesen, tragen Sie das Modell mit os.environ/NAME in config.yaml ein.</translation>
    </message>
    <message>
        <source>Access groups:</source>
        <translation>Zugriffsgruppen:</translation>
    </message>
    <message>
        <source>comma separated, e.g. beta, all-team</source>
        <translation>durch Kommas getrennt, z. B. beta, all-team</translation>
    </message>
    <message>
        <source>Keys and users that list a group in their models may use every model in it.</source>
        <translation>Schlüssel und Benutzer, deren Modellliste eine Gruppe enthält, dürfen jedes Modell darin verwenden.</translation>
    </message>
    <message>
        <source>Set a price for this model</source>
        <translation>Preis für dieses Modell festlegen</translation>
    </message>
    <message>
        <source>Without a price set here the price catalogue&apos;s is used; a model with no price at all is served and logged as price_unknown, and strict budgets refuse it.</source>
        <translation>Ohne hier festgelegten Preis wird der des Preiskatalogs verwendet; ein Modell ganz ohne Preis wird bedient und als price_unknown protokolliert, und strikte Budgets lehnen es ab.</translation>
    </message>
    <message>
        <source>Input $ per 1M tokens:</source>
        <translation>Eingabe $ pro 1 Mio. Tokens:</translation>
    </message>
    <message>
        <source>$ </source>
        <translation>$ </translation>
    </message>
    <message>
        <source>Output $ per 1M tokens:</source>
        <translation>Ausgabe $ pro 1 Mio. Tokens:</translation>
    </message>
    <message>
        <source>The model is served at once. The API key goes to the OS keychain, never to Tollgate&apos;s database. Prices are in USD per million tokens.</source>
        <translation>Das Modell wird sofort bereitgestellt. Der API-Schlüssel kommt in den Schlüsselbund des Betriebssystems, nie in die Datenbank von Tollgate. Preise in USD pro Million Tokens.</translation>
    </message>
    <message>
        <source>Edit model %1</source>
        <translation>Modell %1 bearbeiten</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Speichern</translation>
    </message>
    <message>
        <source>unchanged (type a new key to replace it)</source>
        <translation>unverändert (neuen Schlüssel eingeben, um ihn zu ersetzen)</translation>
    </message>
    <message>
        <source>This model&apos;s own price can be changed here but not removed</source>
        <translation>Der eigene Preis dieses Modells kann hier geändert, aber nicht entfernt werden</translation>
    </message>
</context>
<context>
    <name>Tollgate::ModelTableModel</name>
    <message>
        <source>No price known: calls are served and logged as price_unknown; strict budgets refuse them</source>
        <translation>Kein Preis bekannt: Aufrufe werden bedient und als price_unknown protokolliert; strikte Budgets lehnen sie ab</translation>
    </message>
    <message>
        <source>Model name</source>
        <translation>Modellname</translation>
    </message>
    <message>
        <source>Provider model</source>
        <translation>Anbietermodell</translation>
    </message>
    <message>
        <source>Provider</source>
        <translation>Anbieter</translation>
    </message>
    <message>
        <source>Access groups</source>
        <translation>Zugriffsgruppen</translation>
    </message>
    <message>
        <source>Price source</source>
        <translation>Preisquelle</translation>
    </message>
    <message>
        <source>Editable</source>
        <translation>Bearbeitbar</translation>
    </message>
    <message>
        <source>The name clients send as &quot;model&quot;</source>
        <translation>Der Name, den Clients als &quot;model&quot; senden</translation>
    </message>
    <message>
        <source>What the gateway calls at the provider (litellm_params.model)</source>
        <translation>Was das Gateway beim Anbieter aufruft (litellm_params.model)</translation>
    </message>
    <message>
        <source>Where the price comes from: set for the model, or the price catalogue</source>
        <translation>Herkunft des Preises: für das Modell festgelegt oder aus dem Preiskatalog</translation>
    </message>
    <message>
        <source>Models from config.yaml are read-only here: edit config.yaml and restart</source>
        <translation>Modelle aus config.yaml sind hier schreibgeschützt: config.yaml bearbeiten und neu starten</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>unbekannt</translation>
    </message>
    <message>
        <source>set for this model</source>
        <translation>für dieses Modell festgelegt</translation>
    </message>
    <message>
        <source>catalogue (%1)</source>
        <translation>Katalog (%1)</translation>
    </message>
    <message>
        <source>Read-only (config.yaml)</source>
        <translation>Schreibgeschützt (config.yaml)</translation>
    </message>
    <message>
        <source>%1 comes from config.yaml and is read-only here</source>
        <translation>%1 stammt aus config.yaml und ist hier schreibgeschützt</translation>
    </message>
    <message>
        <source>%1 was added in Tollgate (id %2)</source>
        <translation>%1 wurde in Tollgate hinzugefügt (ID %2)</translation>
    </message>
    <message>
        <source>%1 at %2</source>
        <translation>%1 bei %2</translation>
    </message>
    <message>
        <source>Input $/1M</source>
        <translation>Eingabe $/1 Mio.</translation>
    </message>
    <message>
        <source>Output $/1M</source>
        <translation>Ausgabe $/1 Mio.</translation>
    </message>
    <message>
        <source>US dollars per million input (prompt) tokens</source>
        <translation>US-Dollar pro Million Eingabe-Tokens (Prompt)</translation>
    </message>
    <message>
        <source>US dollars per million output (completion) tokens</source>
        <translation>US-Dollar pro Million Ausgabe-Tokens (Antwort)</translation>
    </message>
</context>
<context>
    <name>Tollgate::ModelsPage</name>
    <message>
        <source>Models &amp; access groups</source>
        <translation>Modelle &amp; Zugriffsgruppen</translation>
    </message>
    <message>
        <source>Add model…</source>
        <translation>Modell hinzufügen…</translation>
    </message>
    <message>
        <source>Edit…</source>
        <translation>Bearbeiten…</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Löschen</translation>
    </message>
    <message>
        <source>Add a model deployment (kept in Tollgate&apos;s database, its API key in the keychain)</source>
        <translation>Ein Modell-Deployment hinzufügen (gespeichert in der Datenbank von Tollgate, sein API-Schlüssel im Schlüsselbund)</translation>
    </message>
    <message>
        <source>Filter models</source>
        <translation>Modelle filtern</translation>
    </message>
    <message>
        <source>No models yet — press Add model to add one, or list models in config.yaml</source>
        <translation>Noch keine Modelle – klicken Sie auf „Modell hinzufügen“ oder führen Sie Modelle in config.yaml auf</translation>
    </message>
    <message>
        <source>No access groups — give a model access groups (Edit) to allow a whole group to a key or user</source>
        <translation>Keine Zugriffsgruppen – weisen Sie einem Modell Zugriffsgruppen zu (Bearbeiten), um einem Schlüssel oder Benutzer eine ganze Gruppe zu erlauben</translation>
    </message>
    <message>
        <source>&lt;b&gt;Access groups&lt;/b&gt; — a key or user whose models list a group may use every model in it</source>
        <translation>&lt;b&gt;Zugriffsgruppen&lt;/b&gt; – ein Schlüssel oder Benutzer, dessen Modellliste eine Gruppe enthält, darf jedes Modell darin verwenden</translation>
    </message>
    <message numerus="yes">
        <source>%n model(s) without a known price: calls are served and logged as price_unknown, and strict budgets refuse them. Set a price with Edit (models from config.yaml: in config.yaml).</source>
        <translation>
            <numerusform>%n Modell ohne bekannten Preis: Aufrufe werden bedient und als price_unknown protokolliert, und strikte Budgets lehnen sie ab. Legen Sie über „Bearbeiten“ einen Preis fest (Modelle aus config.yaml: in config.yaml).</numerusform>
            <numerusform>%n Modelle ohne bekannten Preis: Aufrufe werden bedient und als price_unknown protokolliert, und strikte Budgets lehnen sie ab. Legen Sie über „Bearbeiten“ einen Preis fest (Modelle aus config.yaml: in config.yaml).</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 comes from config.yaml: edit config.yaml and restart Tollgate to change it</source>
        <translation>%1 stammt aus config.yaml: Zum Ändern config.yaml bearbeiten und Tollgate neu starten</translation>
    </message>
    <message>
        <source>Change the selected model</source>
        <translation>Ausgewähltes Modell ändern</translation>
    </message>
    <message>
        <source>Delete the selected model</source>
        <translation>Ausgewähltes Modell löschen</translation>
    </message>
    <message>
        <source>Model %1 added.</source>
        <translation>Modell %1 hinzugefügt.</translation>
    </message>
    <message>
        <source>Model %1 saved.</source>
        <translation>Modell %1 gespeichert.</translation>
    </message>
    <message>
        <source>Delete model</source>
        <translation>Modell löschen</translation>
    </message>
    <message>
        <source>Delete the model %1 (%2)? Calls asking for it fail from now on, unless another deployment has the same name. Its API key is removed from the keychain.</source>
        <translation>Modell %1 (%2) löschen? Aufrufe, die es anfordern, schlagen ab sofort fehl, sofern kein anderes Deployment denselben Namen hat. Sein API-Schlüssel wird aus dem Schlüsselbund entfernt.</translation>
    </message>
    <message>
        <source>Model %1 deleted.</source>
        <translation>Modell %1 gelöscht.</translation>
    </message>
    <message>
        <source>Copy model name</source>
        <translation>Modellnamen kopieren</translation>
    </message>
    <message>
        <source>The API key cannot be kept: Tollgate keeps provider keys only in the OS keychain, and no keychain answers on this computer. Start one (such as GNOME Keyring or KWallet) and try again, or add this model to config.yaml with api_key: os.environ/NAME (the key in the environment variable NAME) and restart Tollgate.</source>
        <translation>Der API-Schlüssel kann nicht aufbewahrt werden: Tollgate bewahrt Anbieterschlüssel nur im Schlüsselbund des Systems auf, und auf diesem Computer antwortet keiner. Starten Sie einen (etwa GNOME Keyring oder KWallet) und versuchen Sie es erneut, oder tragen Sie dieses Modell in config.yaml ein, mit api_key: os.environ/NAME (der Schlüssel in der Umgebungsvariablen NAME), und starten Sie Tollgate neu.</translation>
    </message>
    <message>
        <source>The gateway did not take it: %1</source>
        <translation>Das Gateway hat es nicht angenommen: %1</translation>
    </message>
</context>
<context>
    <name>Tollgate::RemoteGateway</name>
    <message>
        <source>Enter the remote gateway&apos;s base URL, e.g. https://gateway.example.com:4000.</source>
        <translation>Geben Sie die Basis-URL des entfernten Gateways ein, z. B. https://gateway.example.com:4000.</translation>
    </message>
    <message>
        <source>&apos;%1&apos; is not an http:// or https:// URL.</source>
        <translation>„%1“ ist keine http://- oder https://-URL.</translation>
    </message>
    <message>
        <source>&apos;%1&apos; names no host.</source>
        <translation>„%1“ nennt keinen Host.</translation>
    </message>
    <message>
        <source>&apos;%1&apos;: give the address only, without a query, a fragment or a user name.</source>
        <translation>„%1“: Geben Sie nur die Adresse an, ohne Query, Fragment oder Benutzernamen.</translation>
    </message>
    <message>
        <source>Plain http to another computer: the master key travels unencrypted. Use https unless the network between you and the gateway is trusted.</source>
        <translation>Unverschlüsseltes http zu einem anderen Computer: Der Master-Schlüssel wird unverschlüsselt übertragen. Verwenden Sie https, außer das Netz zwischen Ihnen und dem Gateway ist vertrauenswürdig.</translation>
    </message>
    <message>
        <source>the file %1 (no keychain available)</source>
        <translation>der Datei %1 (kein Schlüsselbund verfügbar)</translation>
    </message>
    <message>
        <source>the OS keychain (entry %1)</source>
        <translation>dem Schlüsselbund des Betriebssystems (Eintrag %1)</translation>
    </message>
</context>
<context>
    <name>Tollgate::SettingsPage</name>
    <message>
        <source>Settings</source>
        <translation>Einstellungen</translation>
    </message>
    <message>
        <source>Connect a program to Tollgate</source>
        <translation>Ein Programm mit Tollgate verbinden</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>Kopieren</translation>
    </message>
    <message>
        <source>Copy the base URL to the clipboard</source>
        <translation>Basis-URL in die Zwischenablage kopieren</translation>
    </message>
    <message>
        <source>Base URL</source>
        <translation>Basis-URL</translation>
    </message>
    <message>
        <source>Base URL:</source>
        <translation>Basis-URL:</translation>
    </message>
    <message>
        <source>For a shell: OpenAI SDKs and most tools read these two variables</source>
        <translation>Für eine Shell: OpenAI-SDKs und die meisten Tools lesen diese beiden Variablen</translation>
    </message>
    <message>
        <source>Copy OPENAI_BASE_URL and OPENAI_API_KEY as shell exports (with the master key)</source>
        <translation>OPENAI_BASE_URL und OPENAI_API_KEY als Shell-Exporte kopieren (mit dem Master-Schlüssel)</translation>
    </message>
    <message>
        <source>Environment snippet</source>
        <translation>Umgebungs-Snippet</translation>
    </message>
    <message>
        <source>Environment:</source>
        <translation>Umgebung:</translation>
    </message>
    <message>
        <source>The admin key: it may do everything. Hand out virtual keys (Keys page) to programs and people instead.</source>
        <translation>Der Admin-Schlüssel: Er darf alles. Geben Sie Programmen und Personen stattdessen virtuelle Schlüssel (Seite „Schlüssel“).</translation>
    </message>
    <message>
        <source>Show</source>
        <translation>Anzeigen</translation>
    </message>
    <message>
        <source>Master key</source>
        <translation>Master-Schlüssel</translation>
    </message>
    <message>
        <source>Master key:</source>
        <translation>Master-Schlüssel:</translation>
    </message>
    <message>
        <source>Master key kept in:</source>
        <translation>Master-Schlüssel gespeichert in:</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>unbekannt</translation>
    </message>
    <message>
        <source>Database:</source>
        <translation>Datenbank:</translation>
    </message>
    <message>
        <source>Configuration:</source>
        <translation>Konfiguration:</translation>
    </message>
    <message>
        <source>built-in (no config.yaml)</source>
        <translation>integriert (keine config.yaml)</translation>
    </message>
    <message>
        <source>Gateway</source>
        <translation>Gateway</translation>
    </message>
    <message>
        <source>Reading the gateway&apos;s state…</source>
        <translation>Gateway-Status wird gelesen…</translation>
    </message>
    <message>
        <source>Pause gateway</source>
        <translation>Gateway anhalten</translation>
    </message>
    <message>
        <source>Gateway paused: LLM calls are refused until you resume it.</source>
        <translation>Gateway angehalten: LLM-Aufrufe werden abgelehnt, bis Sie es fortsetzen.</translation>
    </message>
    <message>
        <source>Gateway resumed: LLM calls are served again.</source>
        <translation>Gateway fortgesetzt: LLM-Aufrufe werden wieder bedient.</translation>
    </message>
    <message>
        <source>Start-up</source>
        <translation>Programmstart</translation>
    </message>
    <message>
        <source>The address the gateway listens on: 127.0.0.1 for this computer only, 0.0.0.0 for every network (anyone who can reach it needs a key)</source>
        <translation>Die Adresse, auf der das Gateway lauscht: 127.0.0.1 nur für diesen Computer, 0.0.0.0 für alle Netzwerke (wer es erreichen kann, braucht einen Schlüssel)</translation>
    </message>
    <message>
        <source>Host:</source>
        <translation>Host:</translation>
    </message>
    <message>
        <source>The port the gateway listens on. If it is taken at start-up, a free one is used and the window says so.</source>
        <translation>Der Port, auf dem das Gateway lauscht. Ist er beim Start belegt, wird ein freier verwendet und das Fenster weist darauf hin.</translation>
    </message>
    <message>
        <source>Port:</source>
        <translation>Port:</translation>
    </message>
    <message>
        <source>default: the per-user data directory</source>
        <translation>Standard: das Datenverzeichnis des Benutzers</translation>
    </message>
    <message>
        <source>The SQLite file with keys, users, stored models and the spend log</source>
        <translation>Die SQLite-Datei mit Schlüsseln, Benutzern, gespeicherten Modellen und dem Ausgabenprotokoll</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>Durchsuchen…</translation>
    </message>
    <message>
        <source>Data file:</source>
        <translation>Datendatei:</translation>
    </message>
    <message>
        <source>none: the built-in configuration</source>
        <translation>keine: die integrierte Konfiguration</translation>
    </message>
    <message>
        <source>A LiteLLM-style config.yaml: models, budgets, general settings</source>
        <translation>Eine config.yaml im LiteLLM-Stil: Modelle, Budgets, allgemeine Einstellungen</translation>
    </message>
    <message>
        <source>Config file:</source>
        <translation>Konfigurationsdatei:</translation>
    </message>
    <message>
        <source>As config.yaml says</source>
        <translation>Wie in config.yaml angegeben</translation>
    </message>
    <message>
        <source>Reserve: admit a call when its estimated cost fits the budget</source>
        <translation>Reservieren: Aufruf zulassen, wenn seine geschätzten Kosten ins Budget passen</translation>
    </message>
    <message>
        <source>Strict: like reserve, and refuse models without a known price</source>
        <translation>Strikt: wie Reservieren, zusätzlich Modelle ohne bekannten Preis ablehnen</translation>
    </message>
    <message>
        <source>Budget mode:</source>
        <translation>Budgetmodus:</translation>
    </message>
    <message>
        <source>Start minimised to the tray</source>
        <translation>Minimiert im Infobereich starten</translation>
    </message>
    <message>
        <source>Closing the window keeps the gateway running in the tray</source>
        <translation>Beim Schließen des Fensters läuft das Gateway im Infobereich weiter</translation>
    </message>
    <message>
        <source>&apos;%1&apos; is not an IP address; the host stays %2.</source>
        <translation>&apos;%1&apos; ist keine IP-Adresse; der Host bleibt %2.</translation>
    </message>
    <message>
        <source>Data file</source>
        <translation>Datendatei</translation>
    </message>
    <message>
        <source>Config file</source>
        <translation>Konfigurationsdatei</translation>
    </message>
    <message>
        <source>SQLite databases (*.db *.sqlite *.sqlite3);;All files (*)</source>
        <translation>SQLite-Datenbanken (*.db *.sqlite *.sqlite3);;Alle Dateien (*)</translation>
    </message>
    <message>
        <source>YAML files (*.yaml *.yml);;All files (*)</source>
        <translation>YAML-Dateien (*.yaml *.yml);;Alle Dateien (*)</translation>
    </message>
    <message>
        <source>The gateway does not answer.</source>
        <translation>Das Gateway antwortet nicht.</translation>
    </message>
    <message>
        <source>&lt;b&gt;Paused&lt;/b&gt;: LLM calls are refused (503) until you resume; the window and the management API keep working.</source>
        <translation>&lt;b&gt;Angehalten&lt;/b&gt;: LLM-Aufrufe werden abgelehnt (503), bis Sie fortsetzen; das Fenster und die Verwaltungs-API funktionieren weiter.</translation>
    </message>
    <message>
        <source>Resume gateway</source>
        <translation>Gateway fortsetzen</translation>
    </message>
    <message numerus="yes">
        <source>&lt;b&gt;Running&lt;/b&gt;: %n call(s) in flight.</source>
        <translation>
            <numerusform>&lt;b&gt;Läuft&lt;/b&gt;: %n Aufruf in Bearbeitung.</numerusform>
            <numerusform>&lt;b&gt;Läuft&lt;/b&gt;: %n Aufrufe in Bearbeitung.</numerusform>
        </translation>
    </message>
    <message>
        <source>Hide</source>
        <translation>Ausblenden</translation>
    </message>
    <message>
        <source>%1 copied to the clipboard.</source>
        <translation>%1 in die Zwischenablage kopiert.</translation>
    </message>
    <message>
        <source>Rotate master key…</source>
        <translation>Master-Schlüssel austauschen …</translation>
    </message>
    <message>
        <source>Waiting for the keychain…</source>
        <translation>Warten auf den Schlüsselbund …</translation>
    </message>
    <message>
        <source>The master key is set in config.yaml (general_settings.master_key): change it there.</source>
        <translation>Der Master-Schlüssel ist in config.yaml festgelegt (general_settings.master_key): Ändern Sie ihn dort.</translation>
    </message>
    <message>
        <source>Create a new master key: the old one is refused at once, programs using it must be given the new one.</source>
        <translation>Einen neuen Master-Schlüssel erzeugen: Der alte wird sofort abgewiesen, Programme, die ihn verwenden, brauchen den neuen.</translation>
    </message>
    <message>
        <source>Rotate master key</source>
        <translation>Master-Schlüssel austauschen</translation>
    </message>
    <message>
        <source>Create a new master key? The current one is refused from now on: every program or script that uses it stops working until it is given the new key. Virtual keys are not affected.</source>
        <translation>Einen neuen Master-Schlüssel erzeugen? Der aktuelle wird ab sofort abgewiesen: Jedes Programm und Skript, das ihn verwendet, funktioniert erst wieder mit dem neuen Schlüssel. Virtuelle Schlüssel sind nicht betroffen.</translation>
    </message>
    <message>
        <source>Rotate</source>
        <translation>Austauschen</translation>
    </message>
    <message>
        <source>Settings marked “applies after a restart” take effect when the gateway restarts: the page offers to restart it once you change one. Options given on the command line override them until then.</source>
        <translation>Einstellungen mit dem Hinweis „gilt nach einem Neustart“ werden wirksam, wenn das Gateway neu startet: Sobald Sie eine davon ändern, bietet die Seite den Neustart an. Bis dahin haben Optionen von der Befehlszeile Vorrang.</translation>
    </message>
    <message>
        <source>Changed settings wait for a restart of the gateway. Calls in flight get a few seconds to finish.</source>
        <translation>Geänderte Einstellungen warten auf einen Neustart des Gateways. Laufende Aufrufe haben einige Sekunden Zeit, fertig zu werden.</translation>
    </message>
    <message>
        <source>Restart the gateway now</source>
        <translation>Gateway jetzt neu starten</translation>
    </message>
    <message>
        <source>applies after a restart</source>
        <translation>gilt nach einem Neustart</translation>
    </message>
    <message>
        <source>applies at the next start of Tollgate</source>
        <translation>gilt beim nächsten Start von Tollgate</translation>
    </message>
    <message>
        <source>Now managing the gateway on this computer.</source>
        <translation>Tollgate verwaltet jetzt das Gateway auf diesem Computer.</translation>
    </message>
    <message>
        <source>Gateway to manage</source>
        <translation>Verwaltetes Gateway</translation>
    </message>
    <message>
        <source>This computer: the gateway runs inside Tollgate</source>
        <translation>Dieser Computer: Das Gateway läuft in Tollgate</translation>
    </message>
    <message>
        <source>Remote gateway: a Tollgate gateway running elsewhere</source>
        <translation>Entferntes Gateway: ein Tollgate-Gateway, das anderswo läuft</translation>
    </message>
    <message>
        <source>https://gateway.example.com:4000</source>
        <translation>https://gateway.example.com:4000</translation>
    </message>
    <message>
        <source>The remote gateway&apos;s address: http:// or https://, the host and the port</source>
        <translation>Die Adresse des entfernten Gateways: http:// oder https://, Host und Port</translation>
    </message>
    <message>
        <source>the remote gateway&apos;s master key</source>
        <translation>der Master-Schlüssel des entfernten Gateways</translation>
    </message>
    <message>
        <source>Kept in the OS keychain, never in the settings file</source>
        <translation>Liegt im Schlüsselbund des Betriebssystems, nie in der Einstellungsdatei</translation>
    </message>
    <message>
        <source>While a remote gateway is chosen, the gateway on this computer does not run; choosing “This computer” again starts it. The remote master key is kept in the OS keychain (without one, in a file only you can read), never in the settings file.</source>
        <translation>Solange ein entferntes Gateway gewählt ist, läuft das Gateway auf diesem Computer nicht; „Dieser Computer“ startet es wieder. Der entfernte Master-Schlüssel liegt im Schlüsselbund des Betriebssystems (ohne Schlüsselbund in einer Datei, die nur Sie lesen können), nie in der Einstellungsdatei.</translation>
    </message>
    <message>
        <source>Test connection</source>
        <translation>Verbindung testen</translation>
    </message>
    <message>
        <source>Ask the remote gateway for its status with this master key; nothing is saved</source>
        <translation>Fragt das entfernte Gateway mit diesem Master-Schlüssel nach seinem Status; nichts wird gespeichert</translation>
    </message>
    <message>
        <source>Apply</source>
        <translation>Übernehmen</translation>
    </message>
    <message>
        <source>Save the choice and switch the window to that gateway</source>
        <translation>Die Wahl speichern und das Fenster zu diesem Gateway wechseln lassen</translation>
    </message>
    <message>
        <source>Enter the remote gateway&apos;s master key.</source>
        <translation>Geben Sie den Master-Schlüssel des entfernten Gateways ein.</translation>
    </message>
    <message>
        <source>Connecting to %1…</source>
        <translation>Verbinde mit %1 …</translation>
    </message>
    <message>
        <source>OK: the gateway answers and accepts the master key (it is paused).</source>
        <translation>OK: Das Gateway antwortet und nimmt den Master-Schlüssel an (es ist angehalten).</translation>
    </message>
    <message>
        <source>OK: the gateway answers and accepts the master key.</source>
        <translation>OK: Das Gateway antwortet und nimmt den Master-Schlüssel an.</translation>
    </message>
    <message>
        <source>HTTP %1: the gateway refuses this master key. %2</source>
        <translation>HTTP %1: Das Gateway lehnt diesen Master-Schlüssel ab. %2</translation>
    </message>
    <message>
        <source>Cannot reach the gateway: %1</source>
        <translation>Gateway nicht erreichbar: %1</translation>
    </message>
    <message>
        <source>The gateway answered HTTP %1: %2</source>
        <translation>Das Gateway antwortete mit HTTP %1: %2</translation>
    </message>
    <message>
        <source>Starting the gateway on this computer…</source>
        <translation>Das Gateway auf diesem Computer wird gestartet …</translation>
    </message>
    <message>
        <source>The master key cannot be kept: no keychain access.</source>
        <translation>Der Master-Schlüssel kann nicht gespeichert werden: kein Zugriff auf einen Schlüsselbund.</translation>
    </message>
    <message>
        <source>Saving the master key in the keychain…</source>
        <translation>Der Master-Schlüssel wird im Schlüsselbund gespeichert …</translation>
    </message>
    <message>
        <source>The remote gateway was not chosen: its master key could not be kept (%1).</source>
        <translation>Das entfernte Gateway wurde nicht gewählt: Sein Master-Schlüssel konnte nicht gespeichert werden (%1).</translation>
    </message>
    <message>
        <source>Now managing the remote gateway at %1.</source>
        <translation>Tollgate verwaltet jetzt das entfernte Gateway unter %1.</translation>
    </message>
    <message>
        <source>Now managing the remote gateway at %1. %2</source>
        <translation>Tollgate verwaltet jetzt das entfernte Gateway unter %1. %2</translation>
    </message>
    <message>
        <source>where the remote gateway runs</source>
        <translation>dort, wo das entfernte Gateway läuft</translation>
    </message>
    <message>
        <source>A remote gateway&apos;s master key is changed where it runs; then enter the new key under “Gateway to manage”.</source>
        <translation>Der Master-Schlüssel eines entfernten Gateways wird dort geändert, wo es läuft; geben Sie den neuen Schlüssel dann unter „Verwaltetes Gateway“ ein.</translation>
    </message>
    <message>
        <source>A remote gateway is paused and resumed where it runs.</source>
        <translation>Ein entferntes Gateway wird dort angehalten und fortgesetzt, wo es läuft.</translation>
    </message>
    <message>
        <source>Tollgate manages a remote gateway: the settings below are for the gateway on this computer, which does not run meanwhile. Change the remote gateway&apos;s settings where it runs.</source>
        <translation>Tollgate verwaltet ein entferntes Gateway: Die folgenden Einstellungen gelten für das Gateway auf diesem Computer, das solange nicht läuft. Ändern Sie die Einstellungen des entfernten Gateways dort, wo es läuft.</translation>
    </message>
    <message>
        <source>The remote gateway was not chosen: it refuses this master key (HTTP %1). %2</source>
        <translation>Das entfernte Gateway wurde nicht gewählt: Es lehnt diesen Master-Schlüssel ab (HTTP %1). %2</translation>
    </message>
    <message>
        <source>The gateway on this computer did not start: %1</source>
        <translation>Das Gateway auf diesem Computer ist nicht gestartet: %1</translation>
    </message>
    <message>
        <source>There is no system tray on this desktop, so closing the window quits Tollgate and it starts with its window open.</source>
        <translation>Diese Arbeitsumgebung hat keinen Infobereich: Das Schließen des Fensters beendet Tollgate, und Tollgate startet mit geöffnetem Fenster.</translation>
    </message>
    <message>
        <source>listening on %1 (started with --port)</source>
        <translation>lauscht auf %1 (mit --port gestartet)</translation>
    </message>
    <message>
        <source>listening on %1 (port %2 was taken)</source>
        <translation>lauscht auf %1 (Port %2 war belegt)</translation>
    </message>
</context>
<context>
    <name>Tollgate::SpendLogPage</name>
    <message>
        <source>Spend log</source>
        <translation>Ausgabenprotokoll</translation>
    </message>
    <message>
        <source>No calls match these filters. Calls through the gateway appear here within a second; widen the time range or press All to see every call.</source>
        <translation>Keine Aufrufe entsprechen diesen Filtern. Aufrufe über das Gateway erscheinen hier innerhalb einer Sekunde; erweitern Sie den Zeitraum oder klicken Sie auf „Alle“, um alle Aufrufe zu sehen.</translation>
    </message>
    <message numerus="yes">
        <source>Load %n older row(s)</source>
        <translation>
            <numerusform>%n ältere Zeile laden</numerusform>
            <numerusform>%n ältere Zeilen laden</numerusform>
        </translation>
    </message>
    <message>
        <source>any time</source>
        <translation>beliebig</translation>
    </message>
    <message>
        <source>&amp;From</source>
        <translation>&amp;Von</translation>
    </message>
    <message>
        <source>&amp;To</source>
        <translation>&amp;Bis</translation>
    </message>
    <message>
        <source>Today</source>
        <translation>Heute</translation>
    </message>
    <message>
        <source>7 days</source>
        <translation>7 Tage</translation>
    </message>
    <message>
        <source>30 days</source>
        <translation>30 Tage</translation>
    </message>
    <message>
        <source>All</source>
        <translation>Alle</translation>
    </message>
    <message>
        <source>All keys</source>
        <translation>Alle Schlüssel</translation>
    </message>
    <message>
        <source>&amp;Key</source>
        <translation>&amp;Schlüssel</translation>
    </message>
    <message>
        <source>&amp;User</source>
        <translation>Be&amp;nutzer</translation>
    </message>
    <message>
        <source>any user</source>
        <translation>alle Benutzer</translation>
    </message>
    <message>
        <source>&amp;End user</source>
        <translation>&amp;Endnutzer</translation>
    </message>
    <message>
        <source>any end user</source>
        <translation>alle Endnutzer</translation>
    </message>
    <message>
        <source>&amp;Model</source>
        <translation>&amp;Modell</translation>
    </message>
    <message>
        <source>any model</source>
        <translation>alle Modelle</translation>
    </message>
    <message>
        <source>Clear filters</source>
        <translation>Filter zurücksetzen</translation>
    </message>
    <message>
        <source>Export CSV…</source>
        <translation>CSV exportieren…</translation>
    </message>
    <message>
        <source>Save every row matching the filters (not only the loaded ones) as CSV</source>
        <translation>Alle Zeilen, die den Filtern entsprechen (nicht nur die geladenen), als CSV speichern</translation>
    </message>
    <message numerus="yes">
        <source>%n newest row(s) shown (more are older)</source>
        <translation>
            <numerusform>%n neueste Zeile angezeigt (weitere sind älter)</numerusform>
            <numerusform>%n neueste Zeilen angezeigt (weitere sind älter)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n row(s)</source>
        <translation>
            <numerusform>%n Zeile</numerusform>
            <numerusform>%n Zeilen</numerusform>
        </translation>
    </message>
    <message>
        <source>Spend of the rows shown: %1</source>
        <translation>Ausgaben der angezeigten Zeilen: %1</translation>
    </message>
    <message>
        <source>Copy request id</source>
        <translation>Anfrage-ID kopieren</translation>
    </message>
    <message>
        <source>Only this key (%1)</source>
        <translation>Nur dieser Schlüssel (%1)</translation>
    </message>
    <message>
        <source>Only this user (%1)</source>
        <translation>Nur dieser Benutzer (%1)</translation>
    </message>
    <message>
        <source>Only this end user (%1)</source>
        <translation>Nur dieser Endnutzer (%1)</translation>
    </message>
    <message>
        <source>Only this model (%1)</source>
        <translation>Nur dieses Modell (%1)</translation>
    </message>
    <message>
        <source>Export spend log</source>
        <translation>Ausgabenprotokoll exportieren</translation>
    </message>
    <message>
        <source>CSV files (*.csv);;All files (*)</source>
        <translation>CSV-Dateien (*.csv);;Alle Dateien (*)</translation>
    </message>
    <message>
        <source>Could not write %1: %2</source>
        <translation>%1 konnte nicht geschrieben werden: %2</translation>
    </message>
    <message numerus="yes">
        <source>Exported %n row(s) to %1</source>
        <translation>
            <numerusform>%n Zeile nach %1 exportiert</numerusform>
            <numerusform>%n Zeilen nach %1 exportiert</numerusform>
        </translation>
    </message>
    <message>
        <source>&amp;Session</source>
        <translation>S&amp;itzung</translation>
    </message>
    <message>
        <source>any session</source>
        <translation>alle Sitzungen</translation>
    </message>
    <message>
        <source>Only this session (%1)</source>
        <translation>Nur diese Sitzung (%1)</translation>
    </message>
    <message>
        <source>All calls</source>
        <translation>Alle Aufrufe</translation>
    </message>
    <message>
        <source>Served</source>
        <translation>Bedient</translation>
    </message>
    <message>
        <source>Refused by Tollgate</source>
        <translation>Von Tollgate abgelehnt</translation>
    </message>
    <message>
        <source>Failed at the provider</source>
        <translation>Beim Anbieter fehlgeschlagen</translation>
    </message>
    <message>
        <source>Client left</source>
        <translation>Client getrennt</translation>
    </message>
    <message>
        <source>S&amp;how</source>
        <translation>&amp;Zeigen</translation>
    </message>
    <message>
        <source>%1 spent in all matching rows</source>
        <translation>%1 ausgegeben in allen passenden Zeilen</translation>
    </message>
    <message>
        <source>Open folder</source>
        <translation>Ordner öffnen</translation>
    </message>
    <message>
        <source>Waiting for the gateway to answer…</source>
        <translation>Warten auf die Antwort des Gateways …</translation>
    </message>
    <message>
        <source>Timed out at the provider</source>
        <translation>Beim Anbieter abgelaufen</translation>
    </message>
    <message>
        <source>Cut off when Tollgate stopped</source>
        <translation>Abgebrochen, als Tollgate anhielt</translation>
    </message>
</context>
<context>
    <name>Tollgate::SpendLogTableModel</name>
    <message>
        <source>Time</source>
        <translation>Zeit</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>Schlüssel</translation>
    </message>
    <message>
        <source>User</source>
        <translation>Benutzer</translation>
    </message>
    <message>
        <source>End user</source>
        <translation>Endnutzer</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modell</translation>
    </message>
    <message>
        <source>Spend</source>
        <translation>Ausgaben</translation>
    </message>
    <message>
        <source>Tokens</source>
        <translation>Tokens</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Flags</source>
        <translation>Markierungen</translation>
    </message>
    <message>
        <source>Request id</source>
        <translation>Anfrage-ID</translation>
    </message>
    <message>
        <source>estimated</source>
        <translation>geschätzt</translation>
    </message>
    <message>
        <source>price unknown</source>
        <translation>Preis unbekannt</translation>
    </message>
    <message>
        <source>Started %1, ended %2</source>
        <translation>Beginn %1, Ende %2</translation>
    </message>
    <message>
        <source>Deployment model: %1</source>
        <translation>Deployment-Modell: %1</translation>
    </message>
    <message>
        <source>%1 prompt + %2 completion</source>
        <translation>%1 Prompt + %2 Antwort</translation>
    </message>
    <message>
        <source>The provider reported no usage: tokens and cost were estimated.</source>
        <translation>Der Anbieter hat keine Nutzung gemeldet: Tokens und Kosten wurden geschätzt.</translation>
    </message>
    <message>
        <source>No price is known for this model: the call was logged at $0.</source>
        <translation>Für dieses Modell ist kein Preis bekannt: Der Aufruf wurde mit $0 protokolliert.</translation>
    </message>
    <message>
        <source>Session</source>
        <translation>Sitzung</translation>
    </message>
    <message>
        <source>%1 read from the cache</source>
        <translation>%1 aus dem Cache gelesen</translation>
    </message>
    <message>
        <source>%1 written to the cache (%2 for 1 hour)</source>
        <translation>%1 in den Cache geschrieben (%2 für 1 Stunde)</translation>
    </message>
    <message>
        <source>%1 written to the cache</source>
        <translation>%1 in den Cache geschrieben</translation>
    </message>
    <message>
        <source>Of the prompt: %1</source>
        <translation>Vom Prompt: %1</translation>
    </message>
    <message>
        <source>Client API: %1</source>
        <translation>Client-API: %1</translation>
    </message>
    <message>
        <source>served</source>
        <translation>bedient</translation>
    </message>
    <message>
        <source>refused</source>
        <translation>abgelehnt</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>fehlgeschlagen</translation>
    </message>
    <message>
        <source>client left</source>
        <translation>Client getrennt</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation>%1 (%2)</translation>
    </message>
    <message>
        <source>no valid key</source>
        <translation>kein gültiger Schlüssel</translation>
    </message>
    <message>
        <source>timed out</source>
        <translation>Zeit abgelaufen</translation>
    </message>
    <message>
        <source>cut off when Tollgate stopped</source>
        <translation>abgebrochen, als Tollgate anhielt</translation>
    </message>
</context>
<context>
    <name>Tollgate::TableView</name>
    <message>
        <source>Waiting for the gateway to answer…</source>
        <translation>Warten auf die Antwort des Gateways …</translation>
    </message>
</context>
<context>
    <name>Tollgate::TrayIcon</name>
    <message>
        <source>Show window</source>
        <translation>Fenster anzeigen</translation>
    </message>
    <message>
        <source>Pause gateway</source>
        <translation>Gateway anhalten</translation>
    </message>
    <message>
        <source>Quit Tollgate</source>
        <translation>Tollgate beenden</translation>
    </message>
    <message>
        <source>Tollgate — %1 — today %2</source>
        <translation>Tollgate – %1 – heute %2</translation>
    </message>
    <message>
        <source>Hide window</source>
        <translation>Fenster ausblenden</translation>
    </message>
    <message>
        <source>Resume gateway</source>
        <translation>Gateway fortsetzen</translation>
    </message>
    <message>
        <source>Tollgate budget</source>
        <translation>Tollgate-Budget</translation>
    </message>
    <message>
        <source>A remote gateway is paused and resumed where it runs.</source>
        <translation>Ein entferntes Gateway wird dort angehalten und fortgesetzt, wo es läuft.</translation>
    </message>
</context>
<context>
    <name>Tollgate::UserDialog</name>
    <message>
        <source>New user</source>
        <translation>Neuer Benutzer</translation>
    </message>
    <message>
        <source>User ID:</source>
        <translation>Benutzer-ID:</translation>
    </message>
    <message>
        <source>generated when empty</source>
        <translation>wird erzeugt, wenn leer</translation>
    </message>
    <message>
        <source>How keys, budgets and the spend log name this user, e.g. an email address. Cannot be changed later.</source>
        <translation>So wird dieser Benutzer bei Schlüsseln, Budgets und im Ausgabenprotokoll bezeichnet, z. B. eine E-Mail-Adresse. Kann später nicht geändert werden.</translation>
    </message>
    <message>
        <source>Email:</source>
        <translation>E-Mail:</translation>
    </message>
    <message>
        <source>Display name:</source>
        <translation>Anzeigename:</translation>
    </message>
    <message>
        <source>Role:</source>
        <translation>Rolle:</translation>
    </message>
    <message>
        <source>Models:</source>
        <translation>Modelle:</translation>
    </message>
    <message>
        <source>all models</source>
        <translation>alle Modelle</translation>
    </message>
    <message>
        <source>Model names or access groups, separated by commas; empty: every model. Applies to all of the user&apos;s keys.</source>
        <translation>Modellnamen oder Zugriffsgruppen, durch Kommas getrennt; leer: alle Modelle. Gilt für alle Schlüssel des Benutzers.</translation>
    </message>
    <message>
        <source>Create a first key for this user</source>
        <translation>Einen ersten Schlüssel für diesen Benutzer erstellen</translation>
    </message>
    <message>
        <source>Key name:</source>
        <translation>Schlüsselname:</translation>
    </message>
    <message>
        <source>optional</source>
        <translation>optional</translation>
    </message>
    <message>
        <source>May use the models allowed and manage their own keys</source>
        <translation>Darf die erlaubten Modelle nutzen und eigene Schlüssel verwalten</translation>
    </message>
    <message>
        <source>May only read</source>
        <translation>Darf nur lesen</translation>
    </message>
    <message>
        <source>Their keys may manage the whole gateway</source>
        <translation>Die Schlüssel dürfen das gesamte Gateway verwalten</translation>
    </message>
    <message>
        <source>Create user</source>
        <translation>Benutzer anlegen</translation>
    </message>
    <message>
        <source>Edit user %1</source>
        <translation>Benutzer %1 bearbeiten</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Speichern</translation>
    </message>
    <message>
        <source>The id cannot be changed</source>
        <translation>Die ID kann nicht geändert werden</translation>
    </message>
</context>
<context>
    <name>Tollgate::UserTableModel</name>
    <message>
        <source>Admin</source>
        <translation>Administrator</translation>
    </message>
    <message>
        <source>Internal user</source>
        <translation>Interner Benutzer</translation>
    </message>
    <message>
        <source>Viewer</source>
        <translation>Betrachter</translation>
    </message>
    <message>
        <source>User</source>
        <translation>Benutzer</translation>
    </message>
    <message>
        <source>Email</source>
        <translation>E-Mail</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>Rolle</translation>
    </message>
    <message>
        <source>Models</source>
        <translation>Modelle</translation>
    </message>
    <message>
        <source>Spend</source>
        <translation>Ausgaben</translation>
    </message>
    <message>
        <source>Max budget</source>
        <translation>Max. Budget</translation>
    </message>
    <message>
        <source>RPM / TPM / Parallel</source>
        <translation>RPM / TPM / Parallel</translation>
    </message>
    <message>
        <source>Requests per minute, tokens per minute and parallel requests allowed (— = no limit)</source>
        <translation>Erlaubte Anfragen pro Minute, Tokens pro Minute und parallele Anfragen (— = kein Limit)</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation>%1 (%2)</translation>
    </message>
    <message>
        <source>Created %1</source>
        <translation>Erstellt am %1</translation>
    </message>
    <message>
        <source>Keys of this user may call the management API.</source>
        <translation>Schlüssel dieses Benutzers dürfen die Verwaltungs-API aufrufen.</translation>
    </message>
    <message>
        <source>Keys of this user may only read.</source>
        <translation>Schlüssel dieses Benutzers dürfen nur lesen.</translation>
    </message>
    <message>
        <source>Keys of this user may manage the user&apos;s own keys.</source>
        <translation>Schlüssel dieses Benutzers dürfen dessen eigene Schlüssel verwalten.</translation>
    </message>
    <message>
        <source>Every model</source>
        <translation>Alle Modelle</translation>
    </message>
</context>
<context>
    <name>Tollgate::UsersPage</name>
    <message>
        <source>Users</source>
        <translation>Benutzer</translation>
    </message>
    <message>
        <source>New user</source>
        <translation>Neuer Benutzer</translation>
    </message>
    <message>
        <source>Edit…</source>
        <translation>Bearbeiten…</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>Löschen…</translation>
    </message>
    <message>
        <source>Search users, emails, roles…</source>
        <translation>Benutzer, E-Mails, Rollen suchen…</translation>
    </message>
    <message>
        <source>No users yet. Press “New user” to add someone; their keys then share their budget and models.</source>
        <translation>Noch keine Benutzer. Klicken Sie auf „Neuer Benutzer“, um jemanden hinzuzufügen; dessen Schlüssel teilen sich dann Budget und Modelle.</translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation>%1 von %2</translation>
    </message>
    <message>
        <source>Delete user</source>
        <translation>Benutzer löschen</translation>
    </message>
    <message>
        <source>Delete the user “%1”? All of their keys are deleted too: programs using them are refused from their next call. Their spend stays in the spend log.</source>
        <translation>Benutzer „%1“ löschen? Alle Schlüssel des Benutzers werden ebenfalls gelöscht: Programme, die sie verwenden, werden ab ihrem nächsten Aufruf abgelehnt. Die Ausgaben bleiben im Ausgabenprotokoll.</translation>
    </message>
    <message>
        <source>Delete user and keys</source>
        <translation>Benutzer und Schlüssel löschen</translation>
    </message>
    <message>
        <source>User “%1” and their keys deleted.</source>
        <translation>Benutzer „%1“ und seine Schlüssel gelöscht.</translation>
    </message>
</context>
</TS>
