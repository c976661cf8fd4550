// A page's use of Gadget's real browser client (`@gadgetinc/api-client-core`), bundled by
// build-page.mjs: `window.runScenario(endpoint)` signs up and out through it, reporting what it
// saw, including the session token it keeps (from `x-set-authorization`) at each step.
import { GadgetConnection } from "@gadgetinc/api-client-core";

window.runScenario = async (endpoint, email, password) => {
  const connection = new GadgetConnection({ endpoint, authenticationMode: { browserSession: true } });
  const client = connection.currentClient;
  const token = () => window.localStorage.getItem(connection.sessionStorageKey);
  const steps = [];
  const record = async (name, operation) => {
    const result = await operation.toPromise();
    if (result.error) {
      throw new Error(`${name}: ${result.error.message}`);
    }
    steps.push({ name, data: result.data, token: token() });
  };
  const network = { requestPolicy: "network-only" };
  await record("currentSession", client.query("query CurrentSession { currentSession { id state } }", {}, network));
  await record(
    "signUp",
    client.mutation(
      "mutation SignUp($email: String!, $password: String!) { signUp(email: $email, password: $password) { success errors { code message } session { id } } }",
      { email, password },
    ),
  );
  await record(
    "query",
    client.query("query Me { currentSession { id user { email } } users { email } }", {}, network),
  );
  await record("logOut", client.mutation("mutation LogOut { logOut { success } }", {}));
  await record(
    "afterLogOut",
    client.query("query After { currentSession { id state user { email } } }", {}, network),
  );
  return steps;
};
