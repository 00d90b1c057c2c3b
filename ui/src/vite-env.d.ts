/** Files Vite turns into URLs when imported. */
declare module '*.svg' {
  const url: string;
  export default url;
}
declare module '*.css' {}
