// The Models & access groups page against a real gateway: config models read-only, models
// added, edited and deleted through the dialog (and usable with a real call), the unpriced
// warning, the access groups list, and the table models under QAbstractItemModelTester.
#include "tests/ui/uifixture.h"
#include "ui/banner.h"
#include "ui/confirm.h"
#include "ui/dialogs/modeldialog.h"
#include "ui/models/accessgrouptablemodel.h"
#include "ui/models/modeltablemodel.h"
#include "ui/pages/modelspage.h"
#include "ui/tableview.h"

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QPointer>
#include <QPushButton>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace Tollgate;
using namespace Tollgate::Test;

namespace {

const QByteArray Master = GatewayFixture::MasterKey;

// The page's record of the model called `name`, nullptr if not listed.
const ModelRecord *findModel(ModelsPage *page, const QString &name)
{
    for (const ModelRecord &model : page->modelTable()->records()) {
        if (model.modelName == name)
            return &model;
    }
    return nullptr;
}

// Refreshes until `condition` holds (a refresh under way may predate the change).
template <typename Condition>
bool refreshUntil(ModelsPage *page, Condition condition, int timeoutMs = 10000)
{
    return QTest::qWaitFor(
        [&] {
            if (condition())
                return true;
            UiFixture::refreshAndWait(page);
            return condition();
        },
        timeoutMs);
}

// /v1/model/info's model_info of the deployment `id`, straight from the gateway.
QJsonObject modelInfo(UiFixture &fixture, const QString &id)
{
    for (const QJsonValue &entry : fixture.gateway().get("/v1/model/info").json().value(u"data"_s).toArray()) {
        const QJsonObject info = entry.toObject().value(u"model_info"_s).toObject();
        if (info.value(u"id"_s).toString() == id)
            return info;
    }
    return {};
}

template <typename T>
T *child(QObject *parent, const QString &name)
{
    T *found = parent->findChild<T *>(name);
    if (!found)
        qWarning("no child %s", qPrintable(name));
    return found;
}

} // namespace

class TestModelsPage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void configModelsAreListedReadOnly();
    void modelAddedThroughTheDialogIsEditableAndServed();
    void apiKeyOfAnAddedModelGoesToTheKeychain();
    void editingThePriceReachesTheGateway();
    void deleteAsksFirstAndStopsServing();
    void unpricedModelsCarryAWarning();
    void accessGroupsListTheirModels();
    void dialogBuildsPerTokenPricesAndOnlyChangedFields();
    void tableModelsPassTheModelTester();
    void aKeyThatCannotBeKeptLeavesTheDialogOpenWithWhatWasTyped();

private:
    std::unique_ptr<UiFixture> m_fixture;
    std::unique_ptr<MainWindow> m_window;
    ModelsPage *m_page = nullptr;
};

void TestModelsPage::init()
{
    m_fixture = std::make_unique<UiFixture>();
    QVERIFY2(m_fixture->start(), qPrintable(m_fixture->gateway().lastError()));
    m_window = m_fixture->createWindow();
    m_page = UiFixture::showPage<ModelsPage>(*m_window);
    QVERIFY(m_page);
    Confirm::setAutomaticAnswer(std::nullopt);
}

void TestModelsPage::cleanup()
{
    Confirm::setAutomaticAnswer(std::nullopt);
    m_window.reset();
    m_fixture.reset();
}

void TestModelsPage::configModelsAreListedReadOnly()
{
    ModelTableModel *table = m_page->modelTable();
    QCOMPARE(table->rowCount(), 3);
    auto *edit = child<QPushButton>(m_page, u"editModelButton"_s);
    auto *remove = child<QPushButton>(m_page, u"deleteModelButton"_s);
    QVERIFY(edit && remove);
    for (int row = 0; row < table->rowCount(); ++row) {
        const ModelRecord *model = table->recordAt(row);
        QVERIFY(!model->stored);
        // The lock on the name, "read-only" in the Editable column.
        const QVariant lock = table->index(row, ModelTableModel::ModelName).data(Qt::DecorationRole);
        QVERIFY(lock.canConvert<QIcon>() && !lock.value<QIcon>().isNull());
        QCOMPARE(table->index(row, ModelTableModel::Editable).data().toString(), u"Read-only (config.yaml)"_s);
        QCOMPARE(table->index(row, ModelTableModel::Provider).data().toString(), u"mock"_s);
        QCOMPARE(table->index(row, ModelTableModel::InputPrice).data().toString(), u"$1.00"_s);
        QCOMPARE(table->index(row, ModelTableModel::OutputPrice).data().toString(), u"$2.00"_s);

        QVERIFY(m_page->selectModel(model->modelId));
        QVERIFY(!edit->isEnabled());
        QVERIFY(!remove->isEnabled());
        QVERIFY(edit->toolTip().contains(u"config.yaml"_s));
        QCOMPARE(m_page->editSelectedModel(), nullptr);
    }
    QVERIFY(!ModelTableModel::lockIcon().isNull());
    // Delete does nothing (and asks nothing) for a config model.
    const int asked = Confirm::asked();
    m_page->deleteSelectedModel();
    QCOMPARE(Confirm::asked(), asked);
}

void TestModelsPage::modelAddedThroughTheDialogIsEditableAndServed()
{
    child<QPushButton>(m_page, u"addModelButton"_s)->click();
    auto *dialog = m_page->findChild<ModelDialog *>();
    QVERIFY(dialog);
    QVERIFY(dialog->isVisible());
    QVERIFY(dialog->isNew());
    auto *ok = dialog->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok);
    QVERIFY(!ok->isEnabled());   // name and provider model first
    child<QLineEdit>(dialog, u"modelNameLineEdit"_s)->setText(u"team-chat"_s);
    child<QLineEdit>(dialog, u"providerModelLineEdit"_s)->setText(u"mock/team-chat"_s);
    child<QLineEdit>(dialog, u"accessGroupsLineEdit"_s)->setText(u"team, beta"_s);
    child<QCheckBox>(dialog, u"customPriceCheckBox"_s)->setChecked(true);
    child<QDoubleSpinBox>(dialog, u"inputCostDoubleSpinBox"_s)->setValue(0.5);
    child<QDoubleSpinBox>(dialog, u"outputCostDoubleSpinBox"_s)->setValue(1.5);
    QVERIFY(ok->isEnabled());
    dialog->accept();

    QVERIFY(refreshUntil(m_page, [this] { return findModel(m_page, u"team-chat"_s) != nullptr; }));
    const ModelRecord *model = findModel(m_page, u"team-chat"_s);
    QVERIFY(model->stored);
    QCOMPARE(model->providerModel, u"mock/team-chat"_s);
    QCOMPARE(model->accessGroups, (QStringList{u"team"_s, u"beta"_s}));
    const int row = m_page->modelTable()->rowOf(model->modelId);
    QCOMPARE(m_page->modelTable()->index(row, ModelTableModel::Editable).data().toString(), u"Editable"_s);
    QVERIFY(m_page->modelTable()->index(row, ModelTableModel::ModelName).data(Qt::DecorationRole).isNull());
    QCOMPARE(m_page->modelTable()->index(row, ModelTableModel::InputPrice).data().toString(), u"$0.50"_s);
    QVERIFY(m_page->selectModel(model->modelId));
    QVERIFY(child<QPushButton>(m_page, u"editModelButton"_s)->isEnabled());
    QVERIFY(child<QPushButton>(m_page, u"deleteModelButton"_s)->isEnabled());

    // Served at once: a real call on the new name, priced as set.
    QCOMPARE(m_fixture->chat(Master, u"team-chat"_s), 200);
    const QJsonObject info = modelInfo(*m_fixture, model->modelId);
    QCOMPARE(info.value(u"db_model"_s), QJsonValue(true));
    QCOMPARE(info.value(u"input_cost_per_token"_s).toDouble(), 0.5 / 1e6);
    QCOMPARE(info.value(u"output_cost_per_token"_s).toDouble(), 1.5 / 1e6);
    QVERIFY2(m_window->banner()->isHidden() || m_window->banner()->kind() != Banner::Kind::Error,
             qPrintable(m_window->banner()->text()));
}

void TestModelsPage::apiKeyOfAnAddedModelGoesToTheKeychain()
{
    ModelDialog *dialog = m_page->addModel();
    QCOMPARE(child<QLineEdit>(dialog, u"apiKeyLineEdit"_s)->echoMode(), QLineEdit::Password);
    child<QLineEdit>(dialog, u"modelNameLineEdit"_s)->setText(u"upstream-gpt"_s);
    child<QLineEdit>(dialog, u"providerModelLineEdit"_s)->setText(u"openai/gpt-4o"_s);
    child<QLineEdit>(dialog, u"apiBaseLineEdit"_s)->setText(u"http://127.0.0.1:9/v1"_s);
    child<QLineEdit>(dialog, u"apiKeyLineEdit"_s)->setText(u"sk-provider-key-1234"_s);
    const QJsonObject body = dialog->requestBody();
    QCOMPARE(body.value(u"litellm_params"_s).toObject().value(u"api_key"_s).toString(), u"sk-provider-key-1234"_s);
    dialog->accept();

    QVERIFY(refreshUntil(m_page, [this] { return findModel(m_page, u"upstream-gpt"_s) != nullptr; }));
    const ModelRecord *model = findModel(m_page, u"upstream-gpt"_s);
    QCOMPARE(model->apiBase, u"http://127.0.0.1:9/v1"_s);
    QCOMPARE(model->provider, u"openai"_s);
    const auto secret = m_fixture->gateway().secrets().readSecret(u"model-%1-api_key"_s.arg(model->modelId));
    QVERIFY(secret.ok());
    QCOMPARE(*secret, u"sk-provider-key-1234"_s);
    QVERIFY(!m_fixture->gateway().get("/v1/model/info").body.contains("sk-provider-key-1234"));

    // Editing it shows no key; an empty key field keeps the stored one.
    QVERIFY(m_page->selectModel(model->modelId));
    ModelDialog *edit = m_page->editSelectedModel();
    QVERIFY(edit);
    QVERIFY(child<QLineEdit>(edit, u"apiKeyLineEdit"_s)->text().isEmpty());
    QVERIFY(!edit->requestBody().contains(u"litellm_params"_s));
    edit->reject();
}

void TestModelsPage::editingThePriceReachesTheGateway()
{
    const auto created = m_fixture->gateway().post(
        "/model/new", QJsonObject{{u"model_name"_s, u"priced-model"_s},
                                  {u"litellm_params"_s, QJsonObject{{u"model"_s, u"mock/priced-model"_s},
                                                                    {u"input_cost_per_token"_s, 0.000001},
                                                                    {u"output_cost_per_token"_s, 0.000002}}}});
    QCOMPARE(created.status, 200);
    const QString id = created.json().value(u"model_id"_s).toString();
    QVERIFY(refreshUntil(m_page, [this] { return findModel(m_page, u"priced-model"_s) != nullptr; }));
    QVERIFY(m_page->selectModel(id));

    child<QPushButton>(m_page, u"editModelButton"_s)->click();
    auto *dialog = m_page->findChild<ModelDialog *>();
    QVERIFY(dialog);
    QVERIFY(!dialog->isNew());
    QCOMPARE(dialog->modelId(), id);
    QCOMPARE(child<QLineEdit>(dialog, u"modelNameLineEdit"_s)->text(), u"priced-model"_s);
    auto *priced = child<QCheckBox>(dialog, u"customPriceCheckBox"_s);
    QVERIFY(priced->isChecked());   // its own price: changeable, not removable
    QVERIFY(!priced->isEnabled());
    QCOMPARE(child<QDoubleSpinBox>(dialog, u"inputCostDoubleSpinBox"_s)->value(), 1.0);
    child<QDoubleSpinBox>(dialog, u"inputCostDoubleSpinBox"_s)->setValue(3.25);
    const QJsonObject body = dialog->requestBody();
    QCOMPARE(body.value(u"model_id"_s).toString(), id);
    QVERIFY(!body.contains(u"model_name"_s));
    QVERIFY(!body.value(u"litellm_params"_s).toObject().contains(u"output_cost_per_token"_s));
    dialog->accept();

    QVERIFY(QTest::qWaitFor([&] { return modelInfo(*m_fixture, id).value(u"input_cost_per_token"_s).toDouble() == 3.25 / 1e6; }, 5000));
    QCOMPARE(modelInfo(*m_fixture, id).value(u"output_cost_per_token"_s).toDouble(), 0.000002);
    QVERIFY(refreshUntil(m_page, [this] {
        const ModelRecord *model = findModel(m_page, u"priced-model"_s);
        return model && model->inputCostPerToken == 3.25 / 1e6;
    }));
    const int row = m_page->modelTable()->rowOf(id);
    QCOMPARE(m_page->modelTable()->index(row, ModelTableModel::InputPrice).data().toString(), u"$3.25"_s);
    QCOMPARE(m_fixture->chat(Master, u"priced-model"_s), 200);
}

void TestModelsPage::deleteAsksFirstAndStopsServing()
{
    const auto created = m_fixture->gateway().post(
        "/model/new", QJsonObject{{u"model_name"_s, u"short-lived"_s},
                                  {u"litellm_params"_s, QJsonObject{{u"model"_s, u"mock/short-lived"_s}}}});
    QCOMPARE(created.status, 200);
    const QString id = created.json().value(u"model_id"_s).toString();
    QVERIFY(refreshUntil(m_page, [this] { return findModel(m_page, u"short-lived"_s) != nullptr; }));
    QCOMPARE(m_fixture->chat(Master, u"short-lived"_s), 200);
    QVERIFY(m_page->selectModel(id));

    // Cancelled: nothing happens.
    Confirm::setAutomaticAnswer(false);
    int asked = Confirm::asked();
    child<QPushButton>(m_page, u"deleteModelButton"_s)->click();
    QCOMPARE(Confirm::asked(), asked + 1);
    QVERIFY(m_fixture->waitIdle());
    QVERIFY(UiFixture::refreshAndWait(m_page));
    QVERIFY(findModel(m_page, u"short-lived"_s));

    Confirm::setAutomaticAnswer(true);
    asked = Confirm::asked();
    child<QPushButton>(m_page, u"deleteModelButton"_s)->click();
    QCOMPARE(Confirm::asked(), asked + 1);
    QVERIFY(refreshUntil(m_page, [this] { return findModel(m_page, u"short-lived"_s) == nullptr; }));
    QCOMPARE(m_fixture->chat(Master, u"short-lived"_s), 400);
    QVERIFY(modelInfo(*m_fixture, id).isEmpty());
    QCOMPARE(m_page->modelTable()->rowCount(), 3);
}

void TestModelsPage::unpricedModelsCarryAWarning()
{
    auto *label = child<QLabel>(m_page, u"unpricedLabel"_s);
    QVERIFY(label->isHidden());
    const auto created = m_fixture->gateway().post(
        "/model/new", QJsonObject{{u"model_name"_s, u"no-price"_s},
                                  {u"litellm_params"_s, QJsonObject{{u"model"_s, u"mock/tollgate-no-such-model"_s}}}});
    QCOMPARE(created.status, 200);
    const QString id = created.json().value(u"model_id"_s).toString();
    QVERIFY(refreshUntil(m_page, [this] { return findModel(m_page, u"no-price"_s) != nullptr; }));
    const ModelRecord *model = findModel(m_page, u"no-price"_s);
    QVERIFY(model->priceUnknown);
    const int row = m_page->modelTable()->rowOf(id);
    ModelTableModel *table = m_page->modelTable();
    const QVariant warning = table->index(row, ModelTableModel::PriceSource).data(Qt::DecorationRole);
    QVERIFY(warning.canConvert<QIcon>() && !warning.value<QIcon>().isNull());
    QCOMPARE(table->index(row, ModelTableModel::PriceSource).data(Qt::ToolTipRole).toString(),
             u"No price known: calls are served and logged as price_unknown; strict budgets refuse them"_s);
    QCOMPARE(table->index(row, ModelTableModel::InputPrice).data().toString(), u"—"_s);
    QVERIFY(!label->isHidden());
    QVERIFY(label->text().contains(u"1 model"_s));
    // Priced models carry no warning.
    const int priced = table->rowOf(u"gpt-a-1"_s);
    QVERIFY(table->index(priced, ModelTableModel::PriceSource).data(Qt::DecorationRole).isNull());
    // Served anyway.
    QCOMPARE(m_fixture->chat(Master, u"no-price"_s), 200);
}

void TestModelsPage::accessGroupsListTheirModels()
{
    AccessGroupTableModel *groups = m_page->accessGroupTable();
    // The fixture: gpt-a in beta and all-team, gpt-b in all-team, gpt-c in none.
    QCOMPARE(groups->rowCount(), 2);
    const auto members = [groups](const QString &group) {
        const int row = groups->rowOf(group);
        return row < 0 ? QString() : groups->index(row, AccessGroupTableModel::Members).data().toString();
    };
    QCOMPARE(members(u"all-team"_s), u"gpt-a, gpt-b"_s);
    QCOMPARE(members(u"beta"_s), u"gpt-a"_s);

    QCOMPARE(m_fixture->gateway()
                 .post("/model/new", QJsonObject{{u"model_name"_s, u"gpt-z"_s},
                                                 {u"litellm_params"_s, QJsonObject{{u"model"_s, u"mock/gpt-z"_s}}},
                                                 {u"model_info"_s, QJsonObject{{u"access_groups"_s,
                                                                                QJsonArray{u"beta"_s, u"night"_s}}}}})
                 .status,
             200);
    QVERIFY(refreshUntil(m_page, [groups] { return groups->rowCount() == 3; }));
    QCOMPARE(members(u"beta"_s), u"gpt-a, gpt-z"_s);
    QCOMPARE(members(u"night"_s), u"gpt-z"_s);
    QVERIFY(child<TableView>(m_page, u"accessGroupsTableView"_s));
}

void TestModelsPage::dialogBuildsPerTokenPricesAndOnlyChangedFields()
{
    ModelDialog added;
    added.findChild<QLineEdit *>(u"modelNameLineEdit"_s)->setText(u" fast "_s);
    added.findChild<QLineEdit *>(u"providerModelLineEdit"_s)->setText(u"openai/gpt-4o-mini"_s);
    added.findChild<QLineEdit *>(u"accessGroupsLineEdit"_s)->setText(u"a, b,, a , c"_s);
    added.findChild<QCheckBox *>(u"customPriceCheckBox"_s)->setChecked(true);
    added.findChild<QDoubleSpinBox *>(u"inputCostDoubleSpinBox"_s)->setValue(0.15);
    added.findChild<QDoubleSpinBox *>(u"outputCostDoubleSpinBox"_s)->setValue(0.6);
    const QJsonObject body = added.requestBody();
    QCOMPARE(body.value(u"model_name"_s).toString(), u"fast"_s);
    const QJsonObject params = body.value(u"litellm_params"_s).toObject();
    QCOMPARE(params.value(u"model"_s).toString(), u"openai/gpt-4o-mini"_s);
    QVERIFY(!params.contains(u"api_base"_s));
    QVERIFY(!params.contains(u"api_key"_s));
    QCOMPARE(params.value(u"input_cost_per_token"_s).toDouble(), 0.15 / 1e6);
    QCOMPARE(params.value(u"output_cost_per_token"_s).toDouble(), 0.6 / 1e6);
    QCOMPARE(body.value(u"model_info"_s).toObject().value(u"access_groups"_s).toArray(),
             (QJsonArray{u"a"_s, u"b"_s, u"c"_s}));
    // Without the box ticked no price is sent (the catalogue's applies, or none).
    added.findChild<QCheckBox *>(u"customPriceCheckBox"_s)->setChecked(false);
    QVERIFY(!added.requestBody().value(u"litellm_params"_s).toObject().contains(u"input_cost_per_token"_s));

    ModelRecord record;
    record.modelId = u"m-1"_s;
    record.modelName = u"fast"_s;
    record.providerModel = u"openai/gpt-4o-mini"_s;
    record.accessGroups = {u"a"_s};
    ModelDialog edit(record);
    QCOMPARE(edit.requestBody(), (QJsonObject{{u"model_id"_s, u"m-1"_s}}));
    edit.findChild<QLineEdit *>(u"accessGroupsLineEdit"_s)->setText(QString());
    QCOMPARE(edit.requestBody().value(u"model_info"_s).toObject().value(u"access_groups"_s).toArray(), QJsonArray());
}

void TestModelsPage::tableModelsPassTheModelTester()
{
    ModelTableModel models;
    AccessGroupTableModel groups;
    QAbstractItemModelTester modelTester(&models, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester groupTester(&groups, QAbstractItemModelTester::FailureReportingMode::QtTest);

    // The page's real rows, then rows going, coming and changing.
    QList<ModelRecord> records = m_page->modelTable()->records();
    QCOMPARE(records.size(), 3);
    models.setRecords(records);
    groups.setRecords(AccessGroupRecord::fromModels(records));
    for (int row = 0; row < models.rowCount(); ++row) {
        for (int column = 0; column < models.columnCount(); ++column) {
            const QModelIndex index = models.index(row, column);
            for (int role : {int(Qt::DisplayRole), int(Qt::ToolTipRole), int(Qt::DecorationRole),
                             int(Qt::TextAlignmentRole), ModelTableModel::SortRole, ModelTableModel::IdRole})
                (void)index.data(role);
        }
    }
    QCOMPARE(models.headerData(ModelTableModel::InputPrice, Qt::Horizontal).toString(), u"Input $/1M"_s);

    ModelRecord extra = records.first();
    extra.modelId = u"extra-1"_s;
    extra.modelName = u"extra"_s;
    extra.stored = true;
    extra.accessGroups = {u"new-group"_s};
    records.removeAt(1);
    records.append(extra);
    records.first().inputCostPerToken.reset();
    records.first().priceUnknown = true;
    models.setRecords(records);
    groups.setRecords(AccessGroupRecord::fromModels(records));
    QCOMPARE(models.rowCount(), 3);
    QVERIFY(models.rowOf(u"extra-1"_s) >= 0);
    QVERIFY(groups.rowOf(u"new-group"_s) >= 0);
    models.setRecords({});
    groups.setRecords({});
    QCOMPARE(models.rowCount(), 0);
    models.setRecords(m_page->modelTable()->records());
    models.clear();
    QCOMPARE(groups.rowCount(), 0);
}

void TestModelsPage::aKeyThatCannotBeKeptLeavesTheDialogOpenWithWhatWasTyped()
{
    // No keychain: secrets come from the environment only, which cannot be written.
    m_fixture->gateway().secrets() = MemorySecretStore::fromEnvironment();
    QPointer<ModelDialog> dialog = m_page->addModel();
    child<QLineEdit>(dialog, u"modelNameLineEdit"_s)->setText(u"keyed-gpt"_s);
    child<QLineEdit>(dialog, u"providerModelLineEdit"_s)->setText(u"openai/gpt-4o"_s);
    child<QLineEdit>(dialog, u"apiKeyLineEdit"_s)->setText(u"sk-provider-key-5678"_s);
    dialog->accept();
    QVERIFY(m_fixture->waitIdle());
    QCoreApplication::processEvents();

    // Still open, as filled in, with a short reason and something to do.
    QVERIFY(dialog && dialog->isVisible());
    QCOMPARE(child<QLineEdit>(dialog, u"modelNameLineEdit"_s)->text(), u"keyed-gpt"_s);
    QCOMPARE(child<QLineEdit>(dialog, u"apiKeyLineEdit"_s)->text(), u"sk-provider-key-5678"_s);
    auto *error = child<QLabel>(dialog, u"errorLabel"_s);
    QVERIFY(error && error->isVisible());
    QVERIFY2(error->text().contains(u"keychain"_s) && error->text().contains(u"os.environ/"_s),
             qPrintable(error->text()));
    // Not the per-attempt secret name of a model id that does not exist.
    QVERIFY2(!error->text().contains(u"TOLLGATE_SECRET_"_s), qPrintable(error->text()));
    QVERIFY(error->text().size() < 400);
    QVERIFY(child<QDialogButtonBox>(dialog, u"buttonBox"_s)->button(QDialogButtonBox::Ok)->isEnabled());
    // Said in the dialog, not again in the banner behind it.
    QVERIFY2(m_window->banner()->isHidden() || m_window->banner()->kind() != Banner::Kind::Error,
             qPrintable(m_window->banner()->text()));
    QVERIFY(!findModel(m_page, u"keyed-gpt"_s));

    // Without a key it is taken, and the dialog closes.
    child<QLineEdit>(dialog, u"apiKeyLineEdit"_s)->clear();
    dialog->accept();
    QVERIFY(QTest::qWaitFor([&] { return !dialog || !dialog->isVisible(); }));
    QVERIFY(refreshUntil(m_page, [this] { return findModel(m_page, u"keyed-gpt"_s) != nullptr; }));
}

QTEST_MAIN(TestModelsPage)
#include "tst_modelspage.moc"
