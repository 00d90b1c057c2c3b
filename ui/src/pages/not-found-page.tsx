import { Link } from 'wouter';
import { paths } from '../paths.js';

export function NotFoundPage() {
  return (
    <div className="card">
      <h1>No such page</h1>
      <p>This address is not a page of Berth. <Link href={paths.projects()}>Go to the projects</Link>.</p>
    </div>
  );
}
