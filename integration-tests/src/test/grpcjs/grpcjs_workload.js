'use strict';
/*
 * One fake pod's application on grpc-js (@grpc/grpc-js with @grpc/grpc-js-xds), the third xDS data plane of the
 * end-to-end tests. It speaks the same line protocol as the grpc-java workload (dev.gatehouse.it.workload.WorkloadMain)
 * and the C-core one (ccore/ccore_workload.py), so the Java tests drive all three the same way. Protocol lines on
 * stdout start with "@@ "; grpc-js's own log (GRPC_TRACE/GRPC_VERBOSITY) goes to stderr.
 *
 *   server <pod> <ip> <port>[,<port>...]   one XdsServer per port with XdsServerCredentials(insecure fallback) on
 *                                          ip:port; prints "SERVING <port>" / "NOT_SERVING <port> <why>" from the
 *                                          serving-state listener, "STARTED" once every port is bound; answers every
 *                                          unary method
 *   client <target>                         channel to target with XdsChannelCredentials(insecure fallback) for
 *                                          xds:///, else insecure; prints "READY"; stdin "CALL <Method|/full/path>"
 *                                          prints "OK <answer> server=<id> serverSerial=<hex>" or
 *                                          "ERR <CODE> <details>"; "CALL_FRESH ..." does the same on a new channel;
 *                                          "CALL_TO <target> <method>" calls another target
 *
 * The server answers "pod=<pod> method=<name> port=<port> peer=<spiffe id|none> peerSerial=<hex|none>": what it saw
 * of the caller's certificate. GRPC_XDS_BOOTSTRAP names the pod's bootstrap. Server-side RBAC needs
 * GRPC_XDS_EXPERIMENTAL_RBAC=true in grpc-js-xds 1.14 (src/environment.ts); the Java launcher sets it.
 */
const net = require('net');
const readline = require('readline');
const grpc = require('@grpc/grpc-js');
const grpcXds = require('@grpc/grpc-js-xds');

grpcXds.register();

const PREFIX = '@@ ';
const DEFAULT_SERVICE = 'gatehouse.it.Echo';
const CALL_TIMEOUT_MS = 5000;

function say(line) {
  process.stdout.write(PREFIX + String(line).replace(/\n/g, ' ') + '\n');
}

const identity = (b) => b;

// ---- what each side saw of the other's certificate -----------------------------------------------------------------

/** "<what>=<spiffe id> <what>Serial=<hex>" from a Node PeerCertificate, or "none" without TLS. */
function describe(cert, what) {
  if (!cert || !cert.raw) {
    return `${what}=none ${what}Serial=none`;
  }
  const uri = (cert.subjectaltname || '').split(', ').find((s) => s.startsWith('URI:spiffe://'));
  // Node prints the serial as upper-case hex with leading zeros; Java's BigInteger.toString(16) has neither.
  const serial = BigInt('0x' + cert.serialNumber).toString(16);
  return `${what}=${uri ? uri.substring(4) : 'no-uri-san'} ${what}Serial=${serial}`;
}

// ---- server ----------------------------------------------------------------------------------------------------------

/**
 * grpc-js looks a call's method up in its handler map before any interceptor (RBAC included) runs and answers
 * UNIMPLEMENTED for unknown paths. The Echo methods are registered; the map also answers every other unary path, so
 * policies may name any path (as the C-core workload's generic handler allows).
 */
class AnyMethodHandlers extends Map {
  constructor(makeHandler) {
    super();
    this.makeHandler = makeHandler;
  }

  get(path) {
    return super.get(path) || (typeof path === 'string' && path.startsWith('/') ? this.makeHandler(path) : undefined);
  }
}

/**
 * grpc-js-xds 1.14.1's XdsServer binds every interface: once its Listener arrives it calls
 * tcpServer.listen(port) with the port of the bindAsync address and drops the IP (src/server.ts,
 * BoundPortEntry.startUsingPendingConfig). In a pod that is the pod's own network namespace; here all pods share the
 * machine's loopback, so a grpc-js pod on 8080 would take 8080 of every pod (and of the machine's external
 * interfaces). This stands in for the pod's namespace: a listen() with a port and no host binds the pod's IP. Only the
 * socket's address changes; grpc-js's xDS, TLS and RBAC handling are untouched.
 */
function bindPodAddressOnly(ip) {
  const listen = net.Server.prototype.listen;
  net.Server.prototype.listen = function listenOnPodIp(...args) {
    if (typeof args[0] === 'number' && (args.length === 1 || typeof args[1] === 'function')) {
      process.stderr.write(`grpcjs_workload: XdsServer listen(${args[0]}) bound to the pod address ${ip}\n`);
      return listen.call(this, args[0], ip, ...args.slice(1));
    }
    return listen.apply(this, args);
  };
}

function server(pod, ip, ports) {
  bindPodAddressOnly(ip);
  const credentials = new grpcXds.XdsServerCredentials(grpc.ServerCredentials.createInsecure());
  let bound = 0;
  for (const port of ports) {
    const srv = new grpcXds.XdsServer();
    const handler = (path) => ({
      type: 'unary',
      path,
      serialize: identity,
      deserialize: identity,
      func: (call, callback) => {
        const name = path.substring(path.lastIndexOf('/') + 1);
        const peer = describe(call.getAuthContext().sslPeerCertificate, 'peer');
        callback(null, Buffer.from(`pod=${pod} method=${name} port=${port} ${peer}`, 'utf8'));
      },
    });
    srv.handlers = new AnyMethodHandlers(handler);
    for (const m of ['Call', 'Admin']) {
      srv.handlers.set(`/${DEFAULT_SERVICE}/${m}`, handler(`/${DEFAULT_SERVICE}/${m}`));
    }
    const address = `${ip}:${port}`;
    // XdsServer binds the port only once its Listener has arrived; the callback comes then.
    srv.bindAsync(address, credentials, (err) => {
      if (err) {
        say(`START_FAILED ${port} ${err.message}`);
        return;
      }
      if (++bound === ports.length) {
        say('STARTED');
      }
    });
    // (after bindAsync: the serving-state listeners hang off the port entry bindAsync creates)
    srv.addServingStateListener(address, (status) => {
      say(status.code === grpc.status.OK ? `SERVING ${port}` : `NOT_SERVING ${port} ${status.details}`);
    });
    servers.push(srv);
  }
}

const servers = [];

// ---- client ----------------------------------------------------------------------------------------------------------

function newChannel(target) {
  const credentials = target.startsWith('xds:')
    ? new grpcXds.XdsChannelCredentials(grpc.credentials.createInsecure())
    : grpc.credentials.createInsecure();
  return new grpc.Client(target, credentials);
}

function methodPath(method) {
  return method.startsWith('/') ? method : `/${DEFAULT_SERVICE}/${method}`;
}

function call(client, method) {
  return new Promise((resolve) => {
    let c = null;
    c = client.makeUnaryRequest(methodPath(method), identity, identity, Buffer.from('ping', 'utf8'),
      { deadline: Date.now() + CALL_TIMEOUT_MS }, (err, answer) => {
        if (err) {
          const code = Object.keys(grpc.status).find((k) => grpc.status[k] === err.code) || String(err.code);
          resolve(`ERR ${code} ${(err.details || '').replace(/\n/g, ' ')}`);
        } else {
          const auth = c && c.getAuthContext ? c.getAuthContext() : null;
          resolve(`OK ${answer.toString('utf8')} ${describe(auth && auth.sslPeerCertificate, 'server')}`);
        }
      });
  });
}

const clients = [];

function client(target) {
  const channel = newChannel(target);
  const others = new Map();
  clients.push(channel);
  say('READY');
  return async (line) => {
    if (line.startsWith('CALL_FRESH ')) {
      const fresh = newChannel(target);
      try {
        say(await call(fresh, line.substring('CALL_FRESH '.length).trim()));
      } finally {
        fresh.close();
      }
    } else if (line.startsWith('CALL_TO ')) {
      const [other, method] = line.substring('CALL_TO '.length).trim().split(/\s+/);
      if (!others.has(other)) {
        others.set(other, newChannel(other));
        clients.push(others.get(other));
      }
      say(await call(others.get(other), method));
    } else if (line.startsWith('CALL ')) {
      say(await call(channel, line.substring('CALL '.length).trim()));
    }
  };
}

// ---- main ------------------------------------------------------------------------------------------------------------

function quit() {
  for (const c of clients) {
    c.close();
  }
  for (const s of servers) {
    s.forceShutdown();
  }
  process.exit(0);
}

function main(argv) {
  let onCommand = async () => {};
  if (argv[0] === 'server') {
    server(argv[1], argv[2], argv[3].split(',').map(Number));
  } else if (argv[0] === 'client') {
    onCommand = client(argv[1]);
  } else {
    process.stderr.write(`unknown mode ${argv[0]}\n`);
    process.exit(2);
  }
  // Commands run one at a time, in order (the Java side waits for each answer before the next command).
  let chain = Promise.resolve();
  const lines = readline.createInterface({ input: process.stdin, terminal: false });
  lines.on('line', (raw) => {
    const line = raw.trim();
    chain = chain.then(() => (line === 'QUIT' ? quit() : onCommand(line)));
  });
  lines.on('close', () => chain.then(quit));
}

main(process.argv.slice(2));
