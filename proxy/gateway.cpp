#include "gateway.h"

#include "metrics.h"
#include "refusals.h"

#include "../models/store/store.h"
#include "accounting.h"
#include "apierror.h"
#include "../models/clock.h"
#include "../models/identityregistry.h"
#include "../models/pricing.h"
#include "../models/tokencount.h"
#include "../models/tokenizer.h"
#include "../models/store/identityrepository.h"
#include "controllers/budgetmanagercontroller.h"
#include "controllers/customercontroller.h"
#include "controllers/docscontroller.h"
#include "controllers/gatewaycontroller.h"
#include "controllers/healthcontroller.h"
#include "controllers/keycontroller.h"
#include "controllers/modelcontroller.h"
#include "controllers/openaicontroller.h"
#include "controllers/spendcontroller.h"
#include "controllers/usercontroller.h"
#include "deployments.h"
#include "epolldispatcher.h"
#include "httptransport.h"
#include "instancesync.h"
#include "router.h"
#include "services.h"
#include "upstream/upstreamclient.h"

#include <QEventLoop>
#include <QSemaphore>
#include <QSqlDatabase>
#include <QLoggingCategory>
#include <QThread>
#include <QTimer>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcGateway, "tollgate.gateway")

namespace Tollgate {

namespace {

// Parsed once per process (~20 ms), by the first call that needs a price: an idle gateway
// does not hold it (issue #16, idle memory). Copies share the data.
const PriceCatalogue &sharedCatalogue()
{
    static const PriceCatalogue catalogue = PriceCatalogue::shipped();
    return catalogue;
}

} // namespace

struct Gateway::Private
{
    // Several gateways may share this database: general_settings.shared_database, or any
    // PostgreSQL database (however it was chosen: database_url or DATABASE_URL) — a server
    // database is there to be shared. Budgets then go through leases, management changes
    // propagate, and rate limits are split over the live instances.
    [[nodiscard]] bool sharedDatabase() const
    {
        return services.store && (config.sharedBudgets() || services.store->isPostgres());
    }

    explicit Private(Gateway *q, Config cfg, Store *store)
        : config(std::move(cfg))
        , deployments(config.models)
        , upstream(q)
        , openai(services)
        , health(services)
        , keys(services)
        , users(services)
        , customers(services)
        , models(services)
        , spend(services)
        , budgetManager(services)
        , docs(services)
        , gatewayState(services, [this] { return openai.activeCalls(); })
    {
        services.config = &config;
        services.deployments = &deployments;
        services.upstream = &upstream;
        services.store = store;
        services.context = q;
        services.answers.setContext(q);
        services.startedAt = QDateTime::currentDateTimeUtc();
        services.identities = &identities;
        services.prices = &sharedCatalogue();
        services.clock = &SystemClock::instance();
        services.metrics = &metrics;
        health.setInFlight([this] { return openai.activeCalls(); });
        router.setMasterKey(config.general.masterKey.toUtf8());
        router.setIdentities(&identities, services.clock);
        openai.registerRoutes(router);
        health.registerRoutes(router);
        keys.registerRoutes(router);
        users.registerRoutes(router);
        customers.registerRoutes(router);
        models.registerRoutes(router);
        spend.registerRoutes(router);
        budgetManager.registerRoutes(router);
        gatewayState.registerRoutes(router);
        docs.registerRoutes(router);
    }

    // Keys, users, end users and stored models from the database (start-up only).
    Result<void> loadIdentities()
    {
        if (!services.store)
            return {};
        auto loaded = services.store->readNow([](QSqlDatabase &db) {
            auto snapshot = IdentityRepository::loadAll(db);
            return snapshot ? QVariant::fromValue(*snapshot) : QVariant::fromValue(snapshot.error());
        });
        if (!loaded)
            return loaded.error();
        if (loaded->canConvert<Error>())
            return loaded->value<Error>();
        const auto snapshot = loaded->value<IdentityRepository::Snapshot>();
        identities.clear();
        for (const User &user : snapshot.users)
            identities.putUser(user);
        for (const VirtualKey &key : snapshot.keys)
            identities.putKey(key);
        for (const EndUser &endUser : snapshot.endUsers)
            identities.putEndUser(endUser);
        for (const StoredModel &model : snapshot.models) {
            auto deployment = ModelController::deploymentFromStored(model, services.secrets);
            if (!deployment) {
                qCWarning(lcGateway).noquote() << "stored model" << model.modelId << "not served:"
                                               << deployment.error().message;
                continue;
            }
            deployments.add(*deployment);
        }
        if (auto settings = users.loadSettings(); !settings)
            return settings.error();
        qCInfo(lcGateway) << "loaded" << snapshot.keys.size() << "key(s)," << snapshot.users.size() << "user(s),"
                          << snapshot.endUsers.size() << "end user(s)," << snapshot.models.size() << "stored model(s)";
        return {};
    }

    Config config;
    DeploymentTable deployments;
    UpstreamClient upstream;
    GatewayServices services;
    Metrics metrics;
    Router router;
    std::shared_ptr<RefusalLog> refusals = std::make_shared<RefusalLog>(services);
    IdentityRegistry identities;
    std::unique_ptr<Accounting> accounting;
    std::unique_ptr<InstanceSync> instanceSync;   // shared_database only
    OpenAIController openai;
    HealthController health;
    KeyController keys;
    UserController users;
    CustomerController customers;
    ModelController models;
    SpendController spend;
    BudgetManagerController budgetManager;
    DocsController docs;
    GatewayController gatewayState;
    std::unique_ptr<HttpTransport> transport;
    Options options;
    QTimer *graceTimer = nullptr;
    bool stopping = false;
};

Gateway::Gateway(Config config, Store *store, QObject *parent)
    : QObject(parent), d(std::make_unique<Private>(this, std::move(config), store))
{
}

Gateway::~Gateway()
{
    // Connections first: their handlers reach into the controllers.
    d->transport.reset();
    d->services.accounting = nullptr;
    d->accounting.reset();
}

Result<quint16> Gateway::start(const Options &options)
{
    d->options = options;
    d->services.secrets = options.secrets;
    if (options.clock) {
        d->services.clock = options.clock;
        d->router.setIdentities(&d->identities, options.clock);
    }
    // Shared mode: where the changes feed stands is read before the identities, so a change
    // committed by another instance while they load is applied (again) rather than missed.
    if (d->sharedDatabase()) {
        InstanceSync::Appliers appliers;
        appliers.model = [this](const QString &id, const std::optional<StoredModel> &model) {
            d->models.applyStoredChange(id, model);
        };
        appliers.setting = [this](const QString &key, const QJsonObject &value) {
            d->users.applyStoredSetting(key, value);
        };
        d->instanceSync = std::make_unique<InstanceSync>(d->services, std::move(appliers), QString(), this);
        if (auto prepared = d->instanceSync->prepare(); !prepared)
            return prepared.error();
        d->services.instanceId = d->instanceSync->instanceId();
    }
    if (auto loaded = d->loadIdentities(); !loaded)
        return loaded.error();
    if (auto loaded = d->openai.loadStoredResponses(); !loaded)
        return loaded.error();
    // Mock deployments count tokens on every call: their rank tables load now, so the first
    // request does not pay ~100 ms. Otherwise the tables (~8 MiB each) load on first use, which
    // is rare: admission bounds prompts by their bytes, and providers report usage.
    for (const Deployment &deployment : d->services.deployments->all()) {
        if (deployment.provider == Provider::Mock || deployment.mockResponse)
            preloadTokenizer(encodingForModel(deployment.upstreamModel));
    }
    d->accounting = std::make_unique<Accounting>(d->services, *d->services.clock,
                                                 d->config.general.budgetEnforcement, this);
    d->services.accounting = d->accounting.get();
    // Several gateways on this database: budgets are held through leases on the shared rows
    // (docs/shared-budgets.md).
    if (d->sharedDatabase()) {
        BudgetLeases::Options leases;
        leases.ttlMs = qint64(d->config.general.sharedLeaseSeconds * 1000.0);
        d->accounting->enableSharedBudgets(leases);
    }
    d->accounting->load(d->users.globalBudget());
    if (d->instanceSync)
        d->instanceSync->start();
    d->transport = std::make_unique<HttpTransport>(
        [this](HttpRequest &&request, ResponderPtr responder) {
            if (d->stopping && !request.path.startsWith(u"/health")) {
                responder->send(errorResponse(ApiError::ServiceUnavailable, u"Tollgate is shutting down."_s));
                return;
            }
            d->router.dispatch(std::move(request), responder);
        },
        this);
    HttpTransport::Options transportOptions;
    transportOptions.host = options.host;
    transportOptions.port = options.port;
    transportOptions.idleTimeout = options.idleTimeout;
    transportOptions.maxBodyBytes = d->config.maxRequestBytes();
    d->services.answers.setLimits(d->config.maxResponseBytes());
    transportOptions.limits = options.edgeLimits;
    auto port = d->transport->listen(transportOptions);
    if (!port)
        return port.error();
    BrowserGuard browserGuard;
    browserGuard.configure(options.host, *port, d->config.general.allowedOrigins,
                           !d->config.general.masterKey.isEmpty());
    d->router.setBrowserGuard(std::move(browserGuard));
    d->router.setResponderWrapper([log = d->refusals](const HttpRequest &request, const QString &canonicalPath,
                                                      ResponderPtr responder) {
        return log->wrap(request, canonicalPath, std::move(responder));
    });
    qCInfo(lcGateway).noquote() << "listening on" << options.host.toString() << "port" << *port;
    return *port;
}

void Gateway::shutdown()
{
    if (d->stopping)
        return;
    d->stopping = true;
    d->services.shuttingDown = true;
    if (d->instanceSync)
        d->instanceSync->stop();
    if (d->transport) {
        d->transport->stopListening();
        d->transport->closeIdleConnections();
    }
    auto finishIfIdle = [this] {
        if (d->openai.activeCalls() > 0)
            return false;
        // Calls parked for a shared budget's lease are answered within the lease timeout.
        if (const BudgetLeases *leases = d->accounting ? d->accounting->sharedBudgets() : nullptr;
            leases && leases->parkedCalls() > 0)
            return false;
        if (d->graceTimer)
            d->graceTimer->stop();
        // Answers already written are flushed by the sockets before they close.
        if (d->transport)
            d->transport->closeIdleConnections();
        Q_EMIT stopped();
        return true;
    };
    if (finishIfIdle())
        return;
    qCInfo(lcGateway) << "waiting for" << d->openai.activeCalls() << "call(s) to finish";
    d->graceTimer = new QTimer(this);
    d->graceTimer->setSingleShot(true);
    connect(d->graceTimer, &QTimer::timeout, this, [this] {
        qCInfo(lcGateway) << "ending" << d->openai.activeCalls() << "call(s) still in flight";
        d->openai.abortAll(u"Tollgate is shutting down."_s);
    });
    d->graceTimer->start(d->options.shutdownGrace);
    // Check again each time an exchange ends.
    if (d->transport) {
        connect(d->transport.get(), &HttpTransport::exchangeFinished, this, [finishIfIdle] { finishIfIdle(); },
                Qt::QueuedConnection);
    }
    auto *poll = new QTimer(this);
    connect(poll, &QTimer::timeout, this, [finishIfIdle, poll] {
        if (finishIfIdle())
            poll->stop();
    });
    poll->start(50);
}

quint16 Gateway::port() const
{
    return d->transport ? d->transport->port() : 0;
}

int Gateway::activeCalls() const
{
    return d->openai.activeCalls();
}

void Gateway::setMasterKey(const QString &masterKey)
{
    // The config's copy too: the key controller refuses a virtual key equal to the master key.
    d->config.general.masterKey = masterKey;
    d->router.setMasterKey(masterKey.toUtf8());
}

GatewayHost::GatewayHost() = default;

GatewayHost::~GatewayHost()
{
    stop();
}

Result<quint16> GatewayHost::start(Config config, Store *store, const Gateway::Options &options)
{
    if (m_thread.joinable())
        return makeError(u"the gateway is already running"_s);
    Result<quint16> result = makeError(u"gateway thread did not answer"_s);
    QSemaphore started;
    // The gateway is created, run and deleted on its own thread. A joinable thread, not a
    // QThread: QThread::wait() returns before the thread's exit handlers have run, and
    // OpenSSL's (QtHttpServer and libcurl set up TLS on this thread) must not still be running
    // when the process exits — OpenSSL's atexit cleanup would free the thread's state twice.
    m_thread = std::thread([this, config = std::move(config), store, &options, &result, &started]() mutable {
        QThread::currentThread()->setObjectName(u"gateway"_s);
        // epoll instead of glib's main loop (epolldispatcher.h); TOLLGATE_EVENT_DISPATCHER=qt
        // keeps Qt's default, to compare the two or to rule the dispatcher out.
        if (qgetenv("TOLLGATE_EVENT_DISPATCHER") != "qt") {
            if (auto dispatcher = EpollEventDispatcher::create())
                QThread::currentThread()->setEventDispatcher(dispatcher.release());
        }
        QEventLoop loop;
        auto gateway = std::make_unique<Gateway>(std::move(config), store);
        result = gateway->start(options);
        if (!result) {
            gateway.reset();
            started.release();
            return;
        }
        m_gateway = gateway.get();
        m_loop = &loop;
        started.release();
        loop.exec();
    });
    started.acquire();
    if (!result) {
        m_thread.join();
        return result;
    }
    m_port = *result;
    return result;
}

bool GatewayHost::setMasterKey(const QString &masterKey)
{
    if (!m_gateway)
        return false;
    Gateway *gateway = m_gateway;
    return QMetaObject::invokeMethod(
        gateway, [gateway, masterKey] { gateway->setMasterKey(masterKey); }, Qt::BlockingQueuedConnection);
}

void GatewayHost::stop()
{
    if (!m_thread.joinable())
        return;
    if (m_gateway) {
        Gateway *gateway = m_gateway;
        QEventLoop loop;
        QObject::connect(gateway, &Gateway::stopped, &loop, &QEventLoop::quit, Qt::QueuedConnection);
        QMetaObject::invokeMethod(gateway, [gateway] { gateway->shutdown(); }, Qt::QueuedConnection);
        loop.exec();
        // The gateway thread's loop returns and deletes the gateway there (its sockets and
        // timers belong to that thread); join waits for the thread to be gone entirely.
        QMetaObject::invokeMethod(m_loop, &QEventLoop::quit, Qt::QueuedConnection);
    }
    m_thread.join();
    m_gateway = nullptr;
    m_loop = nullptr;
    m_port = 0;
}

} // namespace Tollgate
