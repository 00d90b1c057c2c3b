import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

/**
 * A real nginx (Debian's package, installed by scripts/install-test-deps.sh) balancing round-robin over Berth nodes,
 * configured as the cluster set-up in README describes: request bodies streamed to the node (no buffering, no size
 * limit), HTTP/1.1 with keep-alive to the nodes, a failed node taken out for a few seconds.
 */
export interface Balancer {
  readonly url: string;
  readonly hostPort: string;
  stop(): Promise<void>;
}

const binary = '/usr/sbin/nginx';

/** The nginx configuration for Berth nodes behind one address; README's cluster section shows the same. */
export function nginxConfig(dir: string, port: number, nodes: readonly string[]): string {
  return `
user root;
daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream berth {
${nodes.map((node) => `    server ${node} max_fails=1 fail_timeout=5s;`).join('\n')}
    keepalive 32;
  }
  server {
    listen 127.0.0.1:${port};
    client_max_body_size 0;
    proxy_request_buffering off;
    proxy_buffering off;
    proxy_http_version 1.1;
    proxy_read_timeout 300s;
    proxy_send_timeout 300s;
    location / {
      proxy_pass http://berth;
      proxy_set_header Host $http_host;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_next_upstream error timeout http_502 http_503;
    }
  }
}
`;
}

export async function startNginx(nodes: readonly string[]): Promise<Balancer> {
  if (!existsSync(binary)) throw new Error('nginx is not installed: run "bash scripts/install-test-deps.sh" as root (it installs nginx)');
  const dir = mkdtempSync(join(tmpdir(), 'berth-nginx-'));
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, sub));
  const port = await freePort();
  const config = join(dir, 'nginx.conf');
  writeFileSync(config, nginxConfig(dir, port, nodes));
  const check = spawnSync(binary, ['-t', '-c', config, '-p', dir], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`nginx -t refused the configuration:\n${check.stderr}`);
  const child: ChildProcess = spawn(binary, ['-c', config, '-p', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (data: Buffer) => { stderr += data.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`nginx exited at start:\n${stderr}\n${readFileSync(join(dir, 'error.log'), 'utf8')}`);
    const up = await fetch(`${url}/healthz`).then((response) => response.status === 200, () => false);
    if (up) break;
    if (attempt > 200) throw new Error(`nginx did not answer on ${url}:\n${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    hostPort: `127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null) child.kill('SIGQUIT');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
