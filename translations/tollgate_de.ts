<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name>Tollgate::AccessGroupTableModel</name>
    <message>
        <source>Access group</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Models in the group</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A key or user whose models list %1 may use every model in it</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n model(s)</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Tollgate::Banner</name>
    <message>
        <source>Dismiss</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Tollgate::BudgetLimitsWidget</name>
    <message>
        <source>Budget</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Max budget:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Calls are refused once this much has been spent (in this period, when the budget resets)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Soft limit:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only warns (Budgets page, notifications) when spend passes it; calls still go through</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Resets every:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A period such as 1d, 7d, 30d, 12h or monthly; empty: spend never resets</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rate limits</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Requests per minute:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tokens per minute:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Parallel requests:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No limit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>never resets</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A limit once set can be changed but not removed; set a large value instead.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unchanged (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Changing the period starts a fresh one from now. A period once set cannot be removed.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Tollgate::BudgetTableModel</name>
    <message>
        <source>Scope</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Spend</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Max budget</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Used</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Soft limit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Resets every</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Next reset</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Global</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>User</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Key</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>End user</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no limit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (passed)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>never</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Spend passed the soft limit: a warning only, calls still go through.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Tollgate::BudgetsPage</name>
    <message>
        <source>Budgets</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Every budget the gateway enforces. A call that would go past a max budget is refused (429); a soft limit only warns.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No budgets yet. Give a key, a user or an end user a max budget on its page (or set the global one in Settings) and it appears here.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Whole gateway</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copy name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copy key token</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copy id</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copy spend and budget</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Tollgate::ColumnValues</name>
    <message>
        <source>Requests per minute: %1
Tokens per minute: %2
Parallel requests: %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Spent: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 of the max budget of %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Soft limit: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No budget: spend is not limited.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Max budget: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Resets every %1, next on %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Never resets</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Tollgate::DashboardPage</name>
    <message>
        <source>Dashboard</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Today</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This period</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remaining</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Burn rate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Budget runs out</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Spend over time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stack by model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stack by key</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Per day, last %n day(s)</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Per hour, last %n hour(s)</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>No spend in this range yet. Point a tool at the gateway&apos;s base URL with a key from the Keys page, and its calls show up here within a second.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Top spenders</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Key</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>User</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Spend</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>since midnight</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>since %1, resets %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>all time (the global budget does not reset)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>of %1 (%2 used)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>over the %1 budget by %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no limit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no global budget — set one in Settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>per day, over this period</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>per day, over the last %n day(s)</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>no global budget</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reached</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>calls are refused until the budget is raised or resets</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not at this rate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the budget resets first</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This budget period (since %1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Last %n day(s)</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>(no key)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(none)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>deleted key %1…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no spend yet</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Tollgate::Desktop</name>
    <message>
        <source>general_settings.master_key in config.yaml</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the OS keychain</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the file %1 (no keychain available)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Configuration error</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Settings error</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Master key</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Database error</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot open the database %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Port %1 is not available (%2); the gateway listens on a free port instead. Change the port in Settings.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Gateway error</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No keychain is available (%1). The master key is kept in %2, readable by you only.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Tollgate::DialogFields</name>
    <message>
        <source>Models: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Models: %1
Access groups: %2</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Tollgate::EndUserDialog</name>
    <message>
        <source>New end user</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>End user ID:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the “user” field your app sends</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The value of the “user” field in the calls of your app. Cannot be changed later.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Alias:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>optional</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Blocked: refuse calls naming this end user</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Create end user</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Edit end user %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Tollgate::EndUserTableModel</name>
    <message>
        <source>End user</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Alias</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Spend</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Max budget</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>RPM / TPM / Parallel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Blocked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Requests per minute, tokens per minute and parallel requests allowed (— = no limit)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>First seen %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No budget of its own (the default end-user budget applies, if set)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Blocked: calls naming this end user are refused.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Tollgate::EndUsersPage</name>
    <message>
        <source>End users</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New end user</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Edit…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Block</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Search end users…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No end users yet. They appear when a call names one in its “user” field; press “New end user” to set a budget or block one ahead of time.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unblock</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Block end user</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Block the end user “%1”? Calls naming them are refused until you unblock them.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete end user</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete the end user “%1” with their budget and limits? A later call naming them creates them again, with the default budget. Their spend stays in the spend log.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>End user “%1” deleted.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Tollgate::Format</name>
    <message>
        <source>never</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>expired</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>due</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>in %1 d %2 h</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>in %1 h %2 min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>in %1 min %2 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>in %1 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>all models</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Tollgate::GatewayStatus</name>
    <message>
        <source>The global budget</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The budget of key %1…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The budget of user %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The budget of end user %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A key&apos;s budget for model %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The budget of %1 %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 passed its soft limit (%2).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is used up (%2).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 passed %2 (%3).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not reachable</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>paused</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>running</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Tollgate::KeyCreatedDialog</name>
    <message>
        <source>Key created</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copy the key now: it will not be shown again. Tollgate keeps only a hash of it, so a lost key cannot be recovered, only regenerated.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Key regenerated</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The new key for “%1”. The old key no longer works: give this one to whoever used it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The key “%1”:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copied</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Tollgate::KeyDialog</name>
    <message>
        <source>New key</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e.g. ci-pipeline or alice-laptop</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The key&apos;s alias: how lists and the spend log name it. Unique.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Owner user:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>none</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The user the key belongs to: the user&apos;s models, budget and limits apply too. A user that does not exist yet is created.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Models:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>all models</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model names or access groups, separated by commas; empty: every model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Expires after:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A period from now such as 30d or 12h; empty: the key never expires</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>never</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Create key</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Edit key %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New expiry:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unchanged (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unchanged (never)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A period from now such as 30d; empty: the expiry stays as it is</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Tollgate::KeyTableModel</name>
    <message>
        <source>Key</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Owner</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Models</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Spend</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Max budget</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Budget reset</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>RPM / TPM / Parallel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Expires</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Blocked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Requests per minute, tokens per minute and parallel requests allowed (— = no limit)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1
Created %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1
Created %2 by %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No owner: only the key&apos;s own models and limits apply.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The user&apos;s models and budget apply to this key too.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Every model (or the owner&apos;s models, when the owner has a list)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Expired on %1: calls with this key are refused.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This key does not expire.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Blocked: calls with this key are refused until it is unblocked.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Tollgate::KeysPage</name>
    <message>
        <source>Keys</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New key</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Edit…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Block</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Regenerate…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Search keys, owners, models…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No keys yet. Press “New key” to hand one out.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unblock</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Block key</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Block the key “%1”? Programs using it are refused until you unblock it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Regenerate key</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Regenerate the key “%1”? The current key stops working at once; its settings and spend carry over to the new one.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Regenerate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete key</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete the key “%1”? Programs using it are refused from their next call. Its spend stays in the spend log.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Key “%1” deleted.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Tollgate::MainWindow</name>
    <message>
        <source>Tollgate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Gateway listening on &lt;b&gt;%1&lt;/b&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copy base URL</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copy %1 to the clipboard</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Base URL</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copy environment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copy OPENAI_BASE_URL and OPENAI_API_KEY as shell exports</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Environment snippet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 copied to the clipboard.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Tollgate::ModelDialog</name>
    <message>
        <source>Add model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model name:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e.g. gpt-4o or team-chat</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The name clients send as &quot;model&quot;. Several deployments may share a name: calls rotate between them.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Provider model:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e.g. openai/gpt-4o</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>litellm_params.model: the provider prefix (openai/, azure/, mock/) and the provider&apos;s model name.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>API base:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e.g. https://api.openai.com/v1 (optional)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The provider&apos;s base URL (litellm_params.api_base). Needed for azure/; empty for openai/ means OpenAI&apos;s.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>API key:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the provider&apos;s key (optional)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Kept in the OS keychain by the gateway, never in its database. os.environ/NAME reads it from the environment instead.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Access groups:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>comma separated, e.g. beta, all-team</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keys and users that list a group in their models may use every model in it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Set a price for this model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Without a price set here the price catalogue&apos;s is used; a model with no price at all is served and logged as price_unknown, and strict budgets refuse it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Input $ per 1M tokens:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>$ </source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Output $ per 1M tokens:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The model is served at once. The API key goes to the OS keychain, never to Tollgate&apos;s database. Prices are in USD per million tokens.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Edit model %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unchanged (type a new key to replace it)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This model&apos;s own price can be changed here but not removed</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Tollgate::ModelTableModel</name>
    <message>
        <source>No price known: calls are served and logged as price_unknown; strict budgets refuse them</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Provider model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Provider</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Access groups</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Input $/1M tokens</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Output $/1M tokens</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Price source</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Editable</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The name clients send as &quot;model&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What the gateway calls at the provider (litellm_params.model)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Where the price comes from: set for the model, or the price catalogue</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Models from config.yaml are read-only here: edit config.yaml and restart</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unknown</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>set for this model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>catalogue (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Read-only (config.yaml)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 comes from config.yaml and is read-only here</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 was added in Tollgate (id %2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 at %2</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Tollgate::ModelsPage</name>
    <message>
        <source>Models &amp; access groups</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add model…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Edit…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add a model deployment (kept in Tollgate&apos;s database, its API key in the keychain)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Filter models</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No models yet — press Add model to add one, or list models in config.yaml</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No access groups — give a model access groups (Edit) to allow a whole group to a key or user</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;Access groups&lt;/b&gt; — a key or user whose models list a group may use every model in it</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n model(s) without a known price: calls are served and logged as price_unknown, and strict budgets refuse them. Set a price with Edit (models from config.yaml: in config.yaml).</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>%1 comes from config.yaml: edit config.yaml and restart Tollgate to change it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Change the selected model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete the selected model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model %1 added.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model %1 saved.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete the model %1 (%2)? Calls asking for it fail from now on, unless another deployment has the same name. Its API key is removed from the keychain.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model %1 deleted.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copy model name</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Tollgate::SettingsPage</name>
    <message>
        <source>Settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connect a program to Tollgate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copy the base URL to the clipboard</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Base URL</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Base URL:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>For a shell: OpenAI SDKs and most tools read these two variables</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copy OPENAI_BASE_URL and OPENAI_API_KEY as shell exports (with the master key)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Environment snippet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Environment:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The admin key: it may do everything. Hand out virtual keys (Keys page) to programs and people instead.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Master key</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Master key:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Master key kept in:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unknown</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Database:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Configuration:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>built-in (no config.yaml)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Gateway</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reading the gateway&apos;s state…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pause gateway</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Gateway paused: LLM calls are refused until you resume it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Gateway resumed: LLM calls are served again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start-up</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>These settings take effect at the next start of Tollgate. Options given on the command line override them for one run.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The address the gateway listens on: 127.0.0.1 for this computer only, 0.0.0.0 for every network (anyone who can reach it needs a key)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Host:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The port the gateway listens on. If it is taken at start-up, a free one is used and the window says so.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Port:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>default: the per-user data directory</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The SQLite file with keys, users, stored models and the spend log</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Data file:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>none: the built-in configuration</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A LiteLLM-style config.yaml: models, budgets, general settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Config file:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>As config.yaml says</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reserve: admit a call when its estimated cost fits the budget</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Strict: like reserve, and refuse models without a known price</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Budget mode:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This desktop shows no tray icons now, so the window stays open.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start minimised to the tray</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Closing the window keeps the gateway running in the tray</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&apos;%1&apos; is not an IP address; the host stays %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Data file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Config file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SQLite databases (*.db *.sqlite *.sqlite3);;All files (*)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>YAML files (*.yaml *.yml);;All files (*)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The gateway does not answer.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;Paused&lt;/b&gt;: LLM calls are refused (503) until you resume; the window and the management API keep working.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Resume gateway</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>&lt;b&gt;Running&lt;/b&gt;: %n call(s) in flight.</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>Hide</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 copied to the clipboard.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Tollgate::SpendLogPage</name>
    <message>
        <source>Spend log</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No calls match these filters. Calls through the gateway appear here within a second; widen the time range or press All to see every call.</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Load %n older row(s)</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>any time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;From</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;To</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Today</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>7 days</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>30 days</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>All</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>All keys</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Key</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;User</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>any user</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;End user</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>any end user</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>any model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Clear filters</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export CSV…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save every row matching the filters (not only the loaded ones) as CSV</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n newest row(s) shown (more are older)</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n row(s)</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>Spend of the rows shown: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copy request id</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only this key (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only this user (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only this end user (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only this model (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export spend log</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CSV files (*.csv);;All files (*)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not write %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Exported %n row(s) to %1</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Tollgate::SpendLogTableModel</name>
    <message>
        <source>Time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Key</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>User</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>End user</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Spend</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tokens</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Status</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Flags</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Request id</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>estimated</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>price unknown</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Started %1, ended %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment model: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 prompt + %2 completion</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The provider reported no usage: tokens and cost were estimated.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No price is known for this model: the call was logged at $0.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Tollgate::TrayIcon</name>
    <message>
        <source>Show window</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pause gateway</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Quit Tollgate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tollgate — %1 — today %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hide window</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Resume gateway</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tollgate budget</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Tollgate::UserDialog</name>
    <message>
        <source>New user</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>User ID:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>generated when empty</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>How keys, budgets and the spend log name this user, e.g. an email address. Cannot be changed later.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Email:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Display name:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Role:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Models:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>all models</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model names or access groups, separated by commas; empty: every model. Applies to all of the user&apos;s keys.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Create a first key for this user</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Key name:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>optional</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>May use the models allowed and manage their own keys</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>May only read</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Their keys may manage the whole gateway</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Create user</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Edit user %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Tollgate::UserTableModel</name>
    <message>
        <source>Admin</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Internal user</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Viewer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>User</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Email</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Role</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Models</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Spend</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Max budget</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>RPM / TPM / Parallel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Requests per minute, tokens per minute and parallel requests allowed (— = no limit)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Created %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keys of this user may call the management API.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keys of this user may only read.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keys of this user may manage the user&apos;s own keys.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Every model</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Tollgate::UsersPage</name>
    <message>
        <source>Users</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New user</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Edit…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Search users, emails, roles…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No users yet. Press “New user” to add someone; their keys then share their budget and models.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete user</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete the user “%1”? All of their keys are deleted too: programs using them are refused from their next call. Their spend stays in the spend log.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete user and keys</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>User “%1” and their keys deleted.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
