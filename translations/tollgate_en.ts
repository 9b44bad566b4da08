<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en">
<context>
    <name>Tollgate::AccessGroupTableModel</name>
    <message numerus="yes">
        <source>%n model(s)</source>
        <translation>
            <numerusform>%n model</numerusform>
            <numerusform>%n models</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Tollgate::Banner</name>
    <message numerus="yes">
        <source>%n earlier message(s)</source>
        <translation>
            <numerusform>%n earlier message</numerusform>
            <numerusform>%n earlier messages</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Tollgate::DashboardPage</name>
    <message numerus="yes">
        <source>Per day, last %n day(s)</source>
        <translation>
            <numerusform>Per day, last %n day</numerusform>
            <numerusform>Per day, last %n days</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Per hour, last %n hour(s)</source>
        <translation>
            <numerusform>Per hour, last %n hour</numerusform>
            <numerusform>Per hour, last %n hours</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>per day, over the last %n day(s)</source>
        <translation>
            <numerusform>per day, over the last %n day</numerusform>
            <numerusform>per day, over the last %n days</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Last %n hour(s), as in the chart</source>
        <translation>
            <numerusform>Last %n hour, as in the chart</numerusform>
            <numerusform>Last %n hours, as in the chart</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Last %n day(s), as in the chart</source>
        <translation>
            <numerusform>Last %n day, as in the chart</numerusform>
            <numerusform>Last %n days, as in the chart</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Tollgate::ModelsPage</name>
    <message numerus="yes">
        <source>%n model(s) without a known price: calls are served and logged as price_unknown, and strict budgets refuse them. Set a price with Edit (models from config.yaml: in config.yaml).</source>
        <translation>
            <numerusform>%n model without a known price: calls are served and logged as price_unknown, and strict budgets refuse them. Set a price with Edit (models from config.yaml: in config.yaml).</numerusform>
            <numerusform>%n models without a known price: calls are served and logged as price_unknown, and strict budgets refuse them. Set a price with Edit (models from config.yaml: in config.yaml).</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Tollgate::SettingsPage</name>
    <message numerus="yes">
        <source>&lt;b&gt;Running&lt;/b&gt;: %n call(s) in flight.</source>
        <translation>
            <numerusform>&lt;b&gt;Running&lt;/b&gt;: %n call in flight.</numerusform>
            <numerusform>&lt;b&gt;Running&lt;/b&gt;: %n calls in flight.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Tollgate::SpendLogPage</name>
    <message numerus="yes">
        <source>Load %n older row(s)</source>
        <translation>
            <numerusform>Load %n older row</numerusform>
            <numerusform>Load %n older rows</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n newest row(s) shown (more are older)</source>
        <translation>
            <numerusform>%n newest row shown (more are older)</numerusform>
            <numerusform>%n newest rows shown (more are older)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n row(s)</source>
        <translation>
            <numerusform>%n row</numerusform>
            <numerusform>%n rows</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Exported %n row(s) to %1</source>
        <translation>
            <numerusform>Exported %n row to %1</numerusform>
            <numerusform>Exported %n rows to %1</numerusform>
        </translation>
    </message>
</context>
</TS>
