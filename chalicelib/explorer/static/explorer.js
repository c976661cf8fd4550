// The explorer: GraphiQL with a fetcher of its own, which
// - runs subscriptions over graphql-transport-ws (graphql-ws's client), queries and mutations over HTTP;
// - keeps the session token the server hands out (the x-set-authorization response header, which
//   GraphiQL never shows) in the Headers pane, as {"Authorization": "Session <token>"}, so that
//   signUp / logInViaEmail / logOut in the explorer sign it in and out.
(function () {
  "use strict";

  const SET_AUTHORIZATION = "x-set-authorization";
  const config = JSON.parse(document.getElementById("explorer-config").textContent);
  const endpoint = window.location.pathname;

  // The page's own host and path unless the stage names another endpoint (a deployed WebSocket API).
  function subscriptionsUrl() {
    if (config.subscriptionsUrl) return config.subscriptionsUrl;
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    return scheme + "//" + window.location.host + endpoint;
  }

  function authorizationOf(headers) {
    for (const [name, value] of Object.entries(headers || {})) {
      if (name.toLowerCase() === "authorization") return String(value);
    }
    return "";
  }

  // connection_init carries the credential once per connection: one client per credential. Lazy
  // clients close their socket when their last subscription ends.
  const clients = new Map();
  function wsClient(authorization) {
    let client = clients.get(authorization);
    if (!client) {
      client = graphqlWs.createClient({
        url: subscriptionsUrl(),
        lazy: true,
        connectionParams: authorization ? { Authorization: authorization } : {},
      });
      clients.set(authorization, client);
    }
    return client;
  }

  function isSubscription(params, documentAST) {
    if (!documentAST) return /^\s*subscription\b/m.test(params.query || "");
    const operations = documentAST.definitions.filter((d) => d.kind === "OperationDefinition");
    const chosen = params.operationName
      ? operations.find((d) => d.name && d.name.value === params.operationName)
      : operations[0];
    return Boolean(chosen) && chosen.operation === "subscription";
  }

  // An Observable, as GraphiQL takes one: each event a result; the protocol's errors as a result's errors.
  function subscribe(params, headers) {
    return {
      subscribe(observer) {
        const dispose = wsClient(authorizationOf(headers)).subscribe(params, {
          next: (result) => observer.next(result),
          complete: () => observer.complete(),
          error: (error) => {
            if (Array.isArray(error)) {
              observer.next({ errors: error });
              observer.complete();
            } else if (error && typeof error.code === "number") {
              observer.error(new Error("The WebSocket closed: " + error.code + " " + (error.reason || "")));
            } else {
              observer.error(error instanceof Error ? error : new Error(String(error)));
            }
          },
        });
        return { unsubscribe: dispose };
      },
    };
  }

  // Set by the page's component: puts the headers it is given into the Headers pane.
  let showHeaders = () => {};

  function keepToken(token, sent) {
    const kept = {};
    for (const [name, value] of Object.entries(sent || {})) {
      if (name.toLowerCase() !== "authorization") kept[name] = value;
    }
    kept.Authorization = token;
    showHeaders(JSON.stringify(kept, null, 2));
  }

  async function post(params, headers) {
    const response = await fetch(endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", ...headers },
      body: JSON.stringify(params),
    });
    const token = response.headers.get(SET_AUTHORIZATION);
    if (token) keepToken(token, headers);
    return response.json();
  }

  function fetcher(params, options) {
    const headers = (options && options.headers) || {};
    if (isSubscription(params, options && options.documentAST)) return subscribe(params, headers);
    return post(params, headers);
  }

  function Explorer() {
    const [headers, setHeaders] = React.useState(undefined);
    showHeaders = setHeaders;
    return React.createElement(GraphiQL, {
      fetcher,
      headers,
      defaultEditorToolsVisibility: true,
      defaultQuery: config.defaultQuery,
    });
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(Explorer));
})();
